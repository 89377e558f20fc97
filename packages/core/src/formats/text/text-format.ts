/**
 * `responseFormat: 'text'`: one record per request, whose whole answer (trimmed)
 * is its value. A free-text answer carries no index, so a request with several
 * records reads nothing, and the engine splits it down to single records; use it
 * with `batchSize: 1` (as `mlComplete` does).
 */
import type { ReadAnswers } from '../answers.js';
import type { ResponseFormat } from '../response-format.js';

/** One record per request, its text as it is: it is the only thing in the prompt, so nothing can blur. */
export const DEFAULT_TEXT_TEMPLATE = `{{instruction}}

{{#records}}{{text}}{{/records}}`;

export const DEFAULT_TEXT_SYSTEM_PROMPT = 'Reply with the answer only: no preamble, no restating the request.';

/**
 * @example
 * readTextAnswer('  A short summary.\n') // → { answers: [], unindexed: 'A short summary.', unusable: true, … }
 */
export function readTextAnswer(text: string): ReadAnswers {
  const trimmed = text.trim();
  // `unindexed` is taken only by a one-record request; an empty answer is no answer.
  return { answers: [], partial: false, unusable: true, ...(trimmed !== '' && { unindexed: trimmed }), warnings: [] };
}

export const textFormat: ResponseFormat<{}> = {
  name: 'text',
  indexed: false,
  defaultTemplate: DEFAULT_TEXT_TEMPLATE,
  defaultSystemPrompt: DEFAULT_TEXT_SYSTEM_PROMPT,
  options: {},
  read: (text) => readTextAnswer(text),
};
