/**
 * Which reader an input needs: `--format`, else the file's extension, else a look
 * at its first non-blank character — JSON Lines start with `{`, `[` or `"`, and
 * anything else is plain text, one record per line (`echo 'I love it' | mlpredict`).
 */
import { Readable } from 'node:stream';

export type InputFormat = 'jsonl' | 'csv' | 'lines';

export const INPUT_FORMATS: readonly InputFormat[] = ['jsonl', 'csv', 'lines'];

/**
 * The format a file name implies, or `undefined` when it implies none.
 *
 * @example
 * formatOfName('reviews.CSV') // → 'csv'
 * formatOfName('notes.txt')   // → 'lines'
 * formatOfName('dump.data')   // → undefined
 */
export function formatOfName(path: string | undefined): InputFormat | undefined {
  if (path === undefined) return undefined;
  if (/\.csv$/i.test(path)) return 'csv';
  if (/\.(jsonl|ndjson)$/i.test(path)) return 'jsonl';
  if (/\.txt$/i.test(path)) return 'lines';
  return undefined;
}

/** Where JSON Lines can begin: an object, an array or a string. */
const JSON_START = new Set(['{', '[', '"']);

/**
 * Reads just enough of `input` to see its first non-blank character, and hands
 * back the format with a stream that replays what was read, then the rest.
 * Destroying the returned stream destroys `input`.
 *
 * @example
 * const { format, input } = await sniffFormat(process.stdin); // 'lines' for "I love it\n"
 */
export async function sniffFormat(source: Readable): Promise<{ format: Exclude<InputFormat, 'csv'>; input: Readable }> {
  const chunks = source[Symbol.asyncIterator]();
  const head: Array<Buffer | string> = [];
  let first: string | undefined;
  while (first === undefined) {
    const next = await chunks.next();
    if (next.done) break;
    const chunk = next.value as Buffer | string;
    head.push(chunk);
    // A BOM or leading whitespace says nothing about the format.
    first = /[^\s\uFEFF]/.exec(chunk.toString())?.[0];
  }
  const format = first === undefined || JSON_START.has(first) ? 'jsonl' : 'lines';
  const replay = new Readable({
    read() {
      if (head.length > 0) {
        this.push(head.shift());
        return;
      }
      chunks.next().then(
        (next) => this.push(next.done ? null : (next.value as Buffer | string)),
        (error: Error) => this.destroy(error),
      );
    },
    // Not through the iterator: its `return()` would wait for a read that may never come (a terminal, a quiet pipe).
    destroy(error, callback) {
      source.destroy();
      callback(error);
    },
  });
  return { format, input: replay };
}
