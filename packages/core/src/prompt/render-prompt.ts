/**
 * The render stage: one batch of records → the chat messages of one request.
 * Mustache with HTML escaping off, so record text reaches the model unchanged.
 */
import Mustache from 'mustache';
import type { ChatMessage } from '../model/model.js';
import type { PromptSettings } from './prompt-settings.js';

/** One record as the template sees it. */
export interface RecordView {
  /** The index written in the prompt (starts at `indexBase`). */
  index: number;
  /** The record as text: strings as they are, objects as JSON (or `textField`). */
  text: string;
  /** `text` as a JSON string literal, quotes and escapes included. */
  textJson: string;
  /** The record itself, for `{{input.field}}`. */
  input: unknown;
  /** The format's own per-record fields (xml: `xmlText`). */
  [field: string]: unknown;
}

const noEscape = { escape: (value: unknown) => String(value) };

/**
 * Renders the messages for one request over `records` (text already extracted).
 * The view: `records` (each a {@link RecordView}), `count`, `recordsJson`
 * (`[{"index": 1, "text": "…"}, …]`), and the shared fields (`instruction`,
 * `indexField`, `valueField`, the format's options, `vars`).
 *
 * @example
 * renderMessages([{ text: 'Great phone', input: 'Great phone' }], resolveOptions({ valueField: 'sentiment' }).prompt)
 * // → [{ role: 'system', … }, { role: 'user', content: 'For each input below, give its sentiment.\n\nInput 1: "Great phone"\n…' }]
 */
export function renderMessages(records: ReadonlyArray<{ text: string; input: unknown }>, prompt: PromptSettings): ChatMessage[] {
  const views: RecordView[] = records.map((r, i) => ({
    index: i + prompt.indexBase,
    text: r.text,
    textJson: JSON.stringify(r.text),
    input: r.input,
    ...prompt.recordView?.(r.text),
  }));
  const view = {
    ...prompt.shared,
    indexField: prompt.indexField,
    records: views,
    count: views.length,
    recordsJson: JSON.stringify(views.map((v) => ({ [prompt.indexField]: v.index, text: v.text }))),
  };
  const user = Mustache.render(prompt.template, view, {}, noEscape);
  return prompt.systemPrompt ? [{ role: 'system', content: prompt.systemPrompt }, { role: 'user', content: user }] : [{ role: 'user', content: user }];
}
