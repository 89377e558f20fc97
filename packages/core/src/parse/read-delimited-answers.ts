/**
 * The parse stage for `responseFormat: 'delimited'`: model text → `{ index, value }`
 * answers from `index<delimiter>value` lines. Lines that don't start with an index
 * and the delimiter (prose, code fences, headers) are not answers and are skipped.
 */
import { parseIndex, type RawAnswer, type ReadAnswers } from './read-json-answers.js';

export interface DelimitedAnswerOptions {
  /** Between index and value; the value is everything after its first occurrence. */
  delimiter: string;
  /**
   * The answer was cut off (finish_reason `length`): its last line, unless it ends
   * with a line break, may be a value cut short, and is dropped.
   */
  truncated?: boolean;
}

/** A list marker or table pipe before the index: `- 3|x`, `* 3|x`, `| 3 | x |`. */
const LEAD = /^\s*(?:[-*•]\s+|\|\s*)?/;

/**
 * @example
 * readDelimitedAnswers('Here you go:\n1 | positive\nInput 2 | negative\n', { delimiter: '|' })
 * // → { answers: [{ index: 1, value: 'positive' }, { index: 2, value: 'negative' }], partial: false, unusable: false, warnings: [] }
 */
export function readDelimitedAnswers(text: string, options: DelimitedAnswerOptions): ReadAnswers {
  const warnings: string[] = [];
  const answers: RawAnswer[] = [];
  const lines = text.split(/\r?\n/);
  const partial = options.truncated === true;
  // Kept only when a line break follows it (a regex for that, /\n\s*$/, is quadratic on long runs of blank lines).
  if (partial && !text.slice(text.trimEnd().length).includes('\n')) lines.pop();
  for (const line of lines) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('```')) continue;
    const body = line.replace(LEAD, '');
    const at = body.indexOf(options.delimiter);
    const index = at === -1 ? undefined : parseIndex(body.slice(0, at));
    // Prose, headers, a refusal: never taken as an answer, not even for a one-record request.
    if (index === undefined) continue;
    let value = body.slice(at + options.delimiter.length).trim();
    // A markdown table row: `| 3 | positive |`.
    if (options.delimiter === '|' && trimmed.startsWith('|') && value.endsWith('|')) value = value.slice(0, -1).trim();
    if (value === '') {
      warnings.push(`ignored an empty answer for index ${index}`);
      continue;
    }
    answers.push({ index, value });
  }
  return { answers, partial, unusable: answers.length === 0, warnings };
}
