/**
 * The parse stage for `responseFormat: 'delimited'`: model text → `{ index, value }`
 * answers from `index<delimiter>value` lines. Lines that don't start with an index
 * and the delimiter (prose, code fences, headers) are not answers and are skipped.
 */
import { parseIndex, type RawAnswer, type ReadAnswers } from '../answers.js';
import { MAX_ANSWERS, tooManyAnswers } from '../read-work.js';

export interface DelimitedAnswerOptions {
  /** Between index and value; the value is everything after its first occurrence. */
  delimiter: string;
  /**
   * The answer was cut off (finish_reason `length`): its last line, unless it ends
   * with a line break, may be a value cut short, and is dropped.
   */
  truncated?: boolean;
}

/**
 * @example
 * readDelimitedAnswers('Here you go:\n1 | positive\nInput 2 | negative\n', { delimiter: '|' })
 * // → { answers: [{ index: 1, value: 'positive' }, { index: 2, value: 'negative' }], partial: false, unusable: false, warnings: [] }
 */
export function readDelimitedAnswers(text: string, options: DelimitedAnswerOptions): ReadAnswers {
  const warnings: string[] = [];
  const answers: RawAnswer[] = [];
  const { delimiter } = options;
  const partial = options.truncated === true;
  // A cut-off answer's last line is kept only when a line break follows it (a regex for that, /\n\s*$/, is
  // quadratic on long runs of blank lines).
  const end = partial && !text.slice(text.trimEnd().length).includes('\n') ? text.lastIndexOf('\n') + 1 : text.length;
  // Line by line over positions, without splitting or copying lines: a megabyte of short lines would
  // otherwise be half a million strings. The next delimiter is looked up once and reused until passed.
  let nextDelimiter = -2;
  for (let start = 0; start < end; ) {
    let stop = text.indexOf('\n', start);
    if (stop === -1 || stop > end) stop = end;
    const lineEnd = stop > start && text.charCodeAt(stop - 1) === 0x0d ? stop - 1 : stop;
    const from = indexStart(text, start, lineEnd);
    if (from !== -1) {
      if (nextDelimiter !== -1 && nextDelimiter < from) nextDelimiter = text.indexOf(delimiter, from);
      const at = nextDelimiter;
      // Prose, headers, a refusal: never taken as an answer, not even for a one-record request.
      const index = at === -1 || at + delimiter.length > lineEnd ? undefined : parseIndex(text.slice(from, at));
      if (index !== undefined) {
        let value = text.slice(at + delimiter.length, lineEnd).trim();
        // A markdown table row: `| 3 | positive |`.
        if (delimiter === '|' && text.charCodeAt(skipSpace(text, start, lineEnd)) === 0x7c && value.endsWith('|')) value = value.slice(0, -1).trim();
        if (value === '') warnings.push(`ignored an empty answer for index ${index}`);
        else if (answers.push({ index, value }) > MAX_ANSWERS) return tooManyAnswers();
      }
    }
    start = stop + 1;
  }
  return { answers, partial, unusable: answers.length === 0, warnings };
}

/**
 * Where the index of the line [start, stop) would begin, after space and a list
 * marker or table pipe (`- 3|x`, `* 3|x`, `| 3 | x |`), or -1 when the line can't
 * hold one (blank, prose, a fence): it must start as an index does, with a digit,
 * `-`, `#` or `Input`.
 */
function indexStart(text: string, start: number, stop: number): number {
  let i = skipSpace(text, start, stop);
  const lead = text[i];
  if ((lead === '-' || lead === '*' || lead === '•') && isSpace(text.charCodeAt(i + 1))) i++;
  else if (lead === '|') i++;
  i = skipSpace(text, i, stop);
  if (i >= stop) return -1;
  const c = text.charCodeAt(i);
  return (c >= 0x30 && c <= 0x39) || c === 0x2d /* - */ || c === 0x23 /* # */ || c === 0x49 /* I */ || c === 0x69 /* i */ ? i : -1;
}

function skipSpace(text: string, i: number, stop: number): number {
  while (i < stop && isSpace(text.charCodeAt(i))) i++;
  return i;
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0b || c === 0x0c || c === 0xa0 || c === 0xfeff;
}
