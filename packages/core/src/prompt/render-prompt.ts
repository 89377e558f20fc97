/**
 * The render stage: one batch of records → the chat messages of one request.
 * Mustache with HTML escaping off, so record text reaches the model unchanged.
 */
import Mustache from 'mustache';
import type { ChatMessage } from '../model/model.js';
import { recordText, type RecordTextOptions } from './record-text.js';
import { DEFAULT_VALUE_FIELD, defaultInstruction } from './default-template.js';
import { RESPONSE_FORMATS, type ResponseFormatName } from '../formats/registry.js';

/** The options rendering reads (a subset of the resolved operator options). */
export interface PromptOptions {
  promptTemplate?: string;
  systemPrompt?: string;
  instruction?: string;
  vars: Record<string, unknown>;
  indexBase: number;
  indexField: string;
  valueField?: string;
  responseFormat: ResponseFormatName;
  delimiter: string;
}

/** One record as the template sees it. */
export interface RecordView {
  /** The index written in the prompt (starts at `indexBase`). */
  index: number;
  /** The record as text: strings as they are, objects as JSON (or `textField`). */
  text: string;
  /** `text` as a JSON string literal, quotes and escapes included. */
  textJson: string;
  /** `text` with `&`, `<`, `>` escaped, for XML templates. */
  xmlText: string;
  /** The record itself, for `{{input.field}}`. */
  input: unknown;
}

const noEscape = { escape: (value: unknown) => String(value) };

/**
 * The value field the prompt asks for: the user's, or `answer` with the default
 * template (whose parse then reads `answer`).
 */
export function effectiveValueField(options: Pick<PromptOptions, 'promptTemplate' | 'valueField'>): string | undefined {
  return options.valueField ?? (options.promptTemplate === undefined ? DEFAULT_VALUE_FIELD : undefined);
}

/**
 * Renders the messages for one request over `records` (text already extracted).
 *
 * @example
 * renderMessages([{ text: 'Great phone', input: 'Great phone' }], resolveOptions({ valueField: 'sentiment' }))
 * // → [{ role: 'system', … }, { role: 'user', content: 'For each input below, give its sentiment.\n\nInput 1: "Great phone"\n…' }]
 */
export function renderMessages(records: ReadonlyArray<{ text: string; input: unknown }>, options: PromptOptions): ChatMessage[] {
  const valueField = effectiveValueField(options) ?? DEFAULT_VALUE_FIELD;
  const views: RecordView[] = records.map((r, i) => ({
    index: i + options.indexBase,
    text: r.text,
    textJson: JSON.stringify(r.text),
    xmlText: r.text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;'),
    input: r.input,
  }));
  const view = {
    ...options.vars,
    instruction: options.instruction ?? defaultInstruction(valueField),
    indexField: options.indexField,
    valueField,
    delimiter: options.delimiter,
    records: views,
    count: views.length,
    recordsJson: JSON.stringify(views.map((v) => ({ [options.indexField]: v.index, text: v.text }))),
  };
  const format = RESPONSE_FORMATS[options.responseFormat];
  const user = Mustache.render(options.promptTemplate ?? format.defaultTemplate, view, {}, noEscape);
  const system = options.systemPrompt ?? format.defaultSystemPrompt;
  return system ? [{ role: 'system', content: system }, { role: 'user', content: user }] : [{ role: 'user', content: user }];
}

/**
 * The messages one request would send for these inputs (their text taken as the
 * operator takes it): what `--dry-run` shows.
 *
 * @example
 * renderPrompt(['Great phone'], resolveOptions({ valueField: 'sentiment' }))
 */
export function renderPrompt(inputs: readonly unknown[], options: PromptOptions & RecordTextOptions): ChatMessage[] {
  return renderMessages(inputs.map((input) => ({ input, text: recordText(input, options) })), options);
}
