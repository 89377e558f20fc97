/**
 * A response format is one unit: how its default prompt asks for answers, the
 * options only it reads, what its templates show per record, how answers are
 * read back, and the provider-side answer shape when it has one. Adding a format
 * is its own folder plus one line in `registry.ts`; nothing else changes.
 */
import type { z } from 'zod';
import type { ResponseShape } from '../model/model.js';
import type { ReadAnswers } from './answers.js';

/** What every reader is told, besides the format's own options. */
export interface AnswerReadOptions {
  indexField: string;
  /** Undefined: the whole item (less its index) is the value (json), or the whole element/line text. */
  valueField?: string;
  /** The provider said the answer was cut off (`finish_reason: length`): its last item may be partial. */
  truncated?: boolean;
}

/** What a provider-side answer shape is built from. */
export interface AnswerShapeInput {
  indexField: string;
  valueField?: string;
  /** The value's JSON Schema, when `valueSchema` has one. */
  valueJsonSchema?: Record<string, unknown>;
}

/** A format's own options, as zod schemas with their defaults. */
export type FormatOptionShape = Readonly<Record<string, z.ZodType>>;

/** The resolved values of a format's own options. */
export type FormatOptionValues<Shape extends FormatOptionShape> = { [K in keyof Shape]: z.output<Shape[K]> };

export interface ResponseFormat<Shape extends FormatOptionShape = FormatOptionShape> {
  /** The `responseFormat` option value. */
  readonly name: string;
  /** True when answers carry an index and are matched to records by it; false: one unindexed answer per request (text). */
  readonly indexed: boolean;
  /** The Mustache template used when the user gives none (the same view as any template). */
  readonly defaultTemplate: string;
  /** The system prompt used when the user gives none. */
  readonly defaultSystemPrompt: string;
  /**
   * Options only this format reads, as zod schemas with their defaults (json:
   * `responsePath`). They join the operators' options; resolved, they go to `read`,
   * into the template view and into cache keys.
   */
  readonly options: Shape;
  /** Per-record fields its templates use besides `index`, `text`, `textJson`, `input` (xml: `xmlText`). */
  recordView?(text: string): Record<string, string>;
  /** Model text → indexed answers; never throws. */
  read(text: string, options: AnswerReadOptions & FormatOptionValues<Shape>): ReadAnswers;
  /** The provider-side shape for structured output (json only); undefined: the format has none. */
  answerShape?(mode: 'json_object' | 'json_schema', input: AnswerShapeInput, count: number): ResponseShape | undefined;
}
