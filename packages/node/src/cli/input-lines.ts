/**
 * The lines of a text input, for the JSON Lines and plain-lines readers: `\n` or
 * `\r\n` ends a line, and a UTF-8 byte order mark at the start of the input (what
 * Windows tools write) is not part of the first line — the CSV reader drops it too.
 */
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';

/**
 * Reads lines lazily: a line is read only when the consumer asks for the next one.
 *
 * @example
 * for await (const text of inputLines(Readable.from(['\uFEFF{"a":1}\r\n']))) console.log(text); // → '{"a":1}'
 */
export async function* inputLines(input: Readable): AsyncGenerator<string, void, undefined> {
  const lines = createInterface({ input, crlfDelay: Infinity });
  let first = true;
  try {
    for await (const text of lines) {
      yield first ? text.replace(/^\uFEFF/, '') : text;
      first = false;
    }
  } finally {
    lines.close();
  }
}
