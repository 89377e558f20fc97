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
