/**
 * The input and output of a run: a file or the standard streams. A file that
 * cannot be opened is a usage error naming the flag and the path, found before
 * any request is sent.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { stat, truncate } from 'node:fs/promises';
import type { Readable, Writable } from 'node:stream';
import { describeFsError } from './cli-settings.js';
import { UsageError } from './usage-error.js';

/**
 * @example
 * const input = await openInput('reviews.jsonl', process.stdin);
 */
export async function openInput(path: string | undefined, stdin: Readable): Promise<Readable> {
  if (path === undefined || path === '-') return stdin;
  try {
    const info = await stat(path);
    if (info.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
  } catch (error) {
    throw new UsageError(`--input: cannot read "${path}": ${describeFsError(error)}`);
  }
  return createReadStream(path);
}

/**
 * Refuses an output that is the input file, under its name or another (`./x`, a
 * link): opening it for writing would cut the input before it is read.
 *
 * @example
 * await refuseSameFile('reviews.jsonl', './reviews.jsonl'); // throws UsageError
 */
export async function refuseSameFile(input: string | undefined, output: string | undefined): Promise<void> {
  if (input === undefined || input === '-' || output === undefined || output === '-') return;
  let same: boolean;
  try {
    const [a, b] = await Promise.all([stat(input), stat(output)]);
    same = a.dev === b.dev && a.ino === b.ino;
  } catch {
    return; // an output that does not exist yet is not the input; an unreadable input is reported when it is opened
  }
  if (same) throw new UsageError(`--output "${output}" is the input file: writing it would destroy the rows not read yet; write the results to another file`);
}

/**
 * A file to write, once it is open, or stdout. `keepBytes`: continue a file
 * after its first `keepBytes` bytes, cutting what follows (`--resume`); else the
 * file is written anew. `close()` ends a file and waits for it; stdout stays open.
 */
export async function openOutput(path: string | undefined, stdout: Writable, keepBytes = 0): Promise<{ stream: Writable; close(): Promise<void> }> {
  if (path === undefined || path === '-') return { stream: stdout, close: async () => undefined };
  if (keepBytes > 0) {
    try {
      await truncate(path, keepBytes);
    } catch (error) {
      throw new UsageError(`--output: cannot write "${path}": ${describeFsError(error)}`);
    }
  }
  const stream = createWriteStream(path, { flags: keepBytes > 0 ? 'a' : 'w' });
  await new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', (error) => reject(new UsageError(`--output: cannot write "${path}": ${describeFsError(error)}`)));
  });
  return {
    stream,
    close: () =>
      new Promise<void>((resolve, reject) => {
        if (stream.closed) return resolve();
        stream.once('error', reject);
        stream.end(() => resolve());
      }),
  };
}
