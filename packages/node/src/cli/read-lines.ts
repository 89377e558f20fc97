/**
 * Plain text in, one record per non-blank line: the line itself, as a string
 * (`echo 'I love it' | mlpredict`). Nothing is parsed, so nothing can be unreadable.
 */
import type { Readable } from 'node:stream';
import { inputLines } from './input-lines.js';
import type { InputRow } from './input-row.js';

/**
 * Reads lines lazily, like `readJsonl`; blank lines carry no record and are skipped.
 *
 * @example
 * for await (const row of readLines(Readable.from(['I love it\n\nIt broke\n']))) console.log(row);
 * // → { line: 1, record: 'I love it' }, { line: 3, record: 'It broke' }
 */
export async function* readLines(input: Readable): AsyncGenerator<InputRow, void, undefined> {
  let line = 0;
  for await (const text of inputLines(input)) {
    line++;
    if (text.trim() !== '') yield { line, record: text };
  }
}
