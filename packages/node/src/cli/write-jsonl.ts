/**
 * Output rows → JSON Lines on a writable (a file or stdout), one line per row,
 * waiting for `drain` when the writable asks, so a slow disk or pipe slows the
 * whole run down instead of filling memory.
 */
import type { Writable } from 'node:stream';

/**
 * Writes every row as one JSON line; resolves once the last is handed to `output`.
 * Does not end `output` (stdout must stay open); the caller ends a file.
 *
 * @example
 * await writeJsonl(predictRows(rows, predictor), createWriteStream('out.jsonl'), (row) => tally.add(row));
 */
export async function writeJsonl<T>(rows: AsyncIterable<T>, output: Writable, onRow?: (row: T) => void): Promise<void> {
  for await (const row of rows) {
    const ok = output.write(`${JSON.stringify(row)}\n`);
    onRow?.(row);
    if (!ok) await drained(output);
  }
}

function drained(output: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    const settle = (error?: Error) => {
      output.off('drain', onDrain);
      output.off('close', onClose);
      output.off('error', onError);
      if (error) reject(error);
      else resolve();
    };
    const onDrain = () => settle();
    const onClose = () => settle(new Error('the output closed before the run ended'));
    const onError = (error: Error) => settle(error);
    output.on('drain', onDrain);
    output.on('close', onClose);
    output.on('error', onError);
  });
}
