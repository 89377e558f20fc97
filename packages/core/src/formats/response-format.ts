/**
 * A response format: how the default prompt asks for answers, and how answers are
 * read back. Adding a format is one file implementing this plus a line in
 * `response-formats.ts`; the engine never changes.
 */
import type { ReadAnswers } from './json/read-json-answers.js';

export interface AnswerReadOptions {
  /** JSONPath to the answer items (json only). */
  responsePath: string;
  indexField: string;
  /** Undefined: the whole item is the value (json), or the whole line/element text. */
  valueField?: string;
  /** Separator between index and value (delimited only). */
  delimiter: string;
  /** The provider said the answer was cut off (`finish_reason: length`): its last item may be partial. */
  truncated?: boolean;
}

export interface ResponseFormat {
  /** The `responseFormat` option value. */
  readonly name: string;
  /** The Mustache template used when the user gives none (same view as any template). */
  readonly defaultTemplate: string;
  /** The system prompt used when the user gives none. */
  readonly defaultSystemPrompt: string;
  /** Model text → indexed answers; never throws. */
  read(text: string, options: AnswerReadOptions): ReadAnswers;
}
