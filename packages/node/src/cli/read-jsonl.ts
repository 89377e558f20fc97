/**
 * JSON Lines in, one row per non-blank line: the parsed value, or the line's
 * problem when it is not JSON (it becomes a `bad_input` row; the run goes on).
 */
import type { Readable } from 'node:stream';
import { inputLines } from './input-lines.js';
import type { InputRow } from './input-row.js';

/**
 * Reads JSONL lazily: a line is read only when the consumer asks for the next row,
 * so the input stream is held by its own backpressure.
 *
 * @example
 * for await (const row of readJsonl(createReadStream('reviews.jsonl'))) console.log(row.line, row);
 */
export async function* readJsonl(input: Readable): AsyncGenerator<InputRow, void, undefined> {
  let line = 0;
  for await (const text of inputLines(input)) {
    line++;
    // Blank lines (a trailing newline, spacing) carry no record.
    if (text.trim() === '') continue;
    try {
      yield { line, record: JSON.parse(text) };
    } catch (error) {
      yield { line, raw: text, problem: `line ${line}: not valid JSON: ${(error as Error).message}` };
    }
  }
}
