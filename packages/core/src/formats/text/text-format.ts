/**
 * `responseFormat: 'text'`: one record per request, whose whole answer (trimmed)
 * is its value. A free-text answer carries no index, so a request with several
 * records reads nothing, and the engine splits it down to single records; use it
 * with `batchSize: 1` (as `mlComplete` does).
 */
import { DEFAULT_TEXT_SYSTEM_PROMPT, DEFAULT_TEXT_TEMPLATE } from '../../prompt/format-templates.js';
import type { ReadAnswers } from '../json/read-json-answers.js';
import type { ResponseFormat } from '../response-format.js';

/**
 * @example
 * readTextAnswer('  A short summary.\n') // → { answers: [], unindexed: 'A short summary.', unusable: true, … }
 */
export function readTextAnswer(text: string): ReadAnswers {
  const trimmed = text.trim();
  // `unindexed` is taken only by a one-record request; an empty answer is no answer.
  return { answers: [], partial: false, unusable: true, ...(trimmed !== '' && { unindexed: trimmed }), warnings: [] };
}

export const textFormat: ResponseFormat = {
  name: 'text',
  defaultTemplate: DEFAULT_TEXT_TEMPLATE,
  defaultSystemPrompt: DEFAULT_TEXT_SYSTEM_PROMPT,
  read: (text) => readTextAnswer(text),
};
