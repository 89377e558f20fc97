/**
 * JSON Lines in, one row per non-blank line: the parsed value, or the line's
 * problem when it is not JSON (it becomes a `bad_input` row; the run goes on).
 */
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { InputRow } from './input-row.js';

/**
 * Reads JSONL lazily: a line is read only when the consumer asks for the next row,
 * so the input stream is held by its own backpressure.
 *
 * @example
 * for await (const row of readJsonl(createReadStream('reviews.jsonl'))) console.log(row.line, row);
 */
export async function* readJsonl(input: Readable): AsyncGenerator<InputRow, void, undefined> {
  const lines = createInterface({ input, crlfDelay: Infinity });
  let line = 0;
  try {
    for await (const text of lines) {
      line++;
      // Blank lines (a trailing newline, spacing) carry no record.
      if (text.trim() === '') continue;
      try {
        yield { line, record: JSON.parse(text) };
      } catch (error) {
        yield { line, raw: text, problem: `line ${line}: not valid JSON: ${(error as Error).message}` };
      }
    }
  } finally {
    lines.close();
  }
}
