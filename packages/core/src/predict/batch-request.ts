/**
 * The two ends of one request for a group of records, shared by the real-time
 * path (`askOnce`) and the Batch API path (`predictDeferred`), so both send the
 * same prompt and read the answer by the same rules: render the messages and
 * the provider-side shape; read the text in the run's format and match it to
 * the records by index, never by position.
 */
import type { CompletionRequest, CompletionResponse } from '../model/model.js';
import type { StructuredOutputMode } from '../model/runtime.js';
import type { ParseSettings } from '../config/run-settings.js';
import type { PromptSettings } from '../prompt/prompt-settings.js';
import { renderMessages } from '../prompt/render-prompt.js';
import type { ReadAnswers } from '../formats/answers.js';
import { reconcile } from './reconcile.js';

/** A group's request, and the structured-output mode it was built for. */
export interface BuiltRequest {
  request: Omit<CompletionRequest, 'signal' | 'headers'>;
  mode: StructuredOutputMode;
}

/**
 * @param learned the strongest structured-output mode the endpoint accepted (the model runtime's), for `'auto'`
 * @example
 * const { request } = buildBatchRequest(records, resolved.prompt, resolved.parse);
 * await model.complete({ ...request, signal });
 */
export function buildBatchRequest(records: ReadonlyArray<{ text: string; input: unknown }>, prompt: PromptSettings, parse: ParseSettings, learned?: StructuredOutputMode): BuiltRequest {
  const messages = renderMessages(records, prompt);
  const mode: StructuredOutputMode = parse.structuredOutput === 'auto' ? (learned ?? 'json_schema') : parse.structuredOutput;
  const shape = mode === 'off' ? undefined : parse.format.answerShape?.(mode, { indexField: parse.read.indexField, valueField: parse.read.valueField, valueJsonSchema: parse.valueJsonSchema }, records.length);
  return {
    mode,
    request: {
      messages,
      temperature: parse.temperature,
      ...(parse.maxTokens !== undefined && { maxTokens: parse.maxTokens }),
      ...(shape && { responseShape: shape }),
    },
  };
}

/** What an answer says about a group of `count` records. */
export interface ReadAnswer {
  /** Position in the group → value (before `valueSchema`). */
  values: Map<number, unknown>;
  missing: number[];
  /** Nothing in the answer could be read (as opposed to records left out). */
  unreadable: boolean;
  truncated: boolean;
  /** Nothing was taken because the first index was missing (see `reconcile`): ask the rest without the first record. */
  firstInDoubt?: boolean;
  warnings: string[];
}

/**
 * @example
 * const read = readBatchAnswer(response, records.length, resolved.parse);
 * read.values.get(0); // the first record's value, matched by index
 */
export function readBatchAnswer(response: CompletionResponse, count: number, parse: ParseSettings): ReadAnswer {
  const truncated = response.finishReason === 'length';
  const read = readAnswers(response.text, parse, truncated);
  const matched = reconcile(read.answers, count, parse.indexBase, read.partial || truncated);
  // A lone record's answer without an index: the reader offers one only when it is the entire reply,
  // and it is taken only when the reply was not cut off (`finish_reason: length`): the end of a cut-off
  // answer is missing, and a text answer can't show it, so it is asked again like a cut-off batch answer.
  if (count === 1 && read.answers.length === 0 && read.unindexed !== undefined && !truncated) {
    matched.values.set(0, read.unindexed);
    matched.missing = [];
  }
  return {
    values: matched.values,
    missing: matched.missing,
    unreadable: matched.values.size === 0 && (read.unusable || truncated || (matched.untrusted && !matched.firstInDoubt)),
    truncated,
    ...(matched.firstInDoubt && { firstInDoubt: true }),
    warnings: [...read.warnings, ...matched.warnings],
  };
}

/**
 * Why the records of an answer that could not be read failed, in words: a cut-off
 * answer says so, and that `maxTokens` (or a smaller batch) leaves room for it.
 *
 * @example
 * unreadableMessage(true, 1, parse) // → "the model's answer could not be read (cut off: finish_reason length; raise maxTokens, now 100)"
 */
export function unreadableMessage(truncated: boolean, count: number, parse: Pick<ParseSettings, 'maxTokens'>): string {
  if (!truncated) return "the model's answer could not be read";
  const now = parse.maxTokens !== undefined ? `, now ${parse.maxTokens}` : '';
  return `the model's answer could not be read (cut off: finish_reason length; raise maxTokens${now}${count > 1 ? ', or lower batchSize' : ''})`;
}

/** The run's reader over the model's text; a reader that throws (or a text that isn't one) reads as nothing. */
function readAnswers(text: unknown, parse: ParseSettings, truncated: boolean): ReadAnswers {
  try {
    if (typeof text !== 'string') throw new TypeError(`the model's text is ${text === null ? 'null' : typeof text}, not a string`);
    return parse.format.read(text, { ...parse.read, truncated });
  } catch (error) {
    return { answers: [], partial: false, unusable: true, warnings: [`the answer could not be read: ${error instanceof Error ? error.message : String(error)}`] };
  }
}
