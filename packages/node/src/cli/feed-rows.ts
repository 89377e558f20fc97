/**
 * The input rows as a run hands them to prediction: each row's digest noted, in
 * order, for the output side (rows come back out one each, in this order), and
 * an early end when the run is told to stop reading — even while a read is
 * waiting on a terminal or a pipe that sends nothing.
 */
import { rowDigest, type InputRow } from './input-row.js';

export interface FeedOptions {
  /** Rows read ahead of `rows` (to learn the CSV header), handed on first. */
  head?: readonly InputRow[];
  /** Resolves when reading must stop. */
  stopped: Promise<void>;
  /** Called once when reading stops early, to release the input (destroy the stream). */
  onStop(): void;
  /** Gets each row's digest, in order, as the row is handed on. */
  digests: Buffer[];
}

const STOP: unique symbol = Symbol('stop');

/**
 * @example
 * const digests: Buffer[] = [];
 * for await (const row of feedRows(reader.rows, { stopped, onStop: () => input.destroy(), digests })) predictor.write(row);
 */
export async function* feedRows(rows: AsyncIterator<InputRow>, options: FeedOptions): AsyncGenerator<InputRow, void, undefined> {
  const stop = options.stopped.then((): typeof STOP => STOP);
  let stoppedEarly = false;
  try {
    for (const row of options.head ?? []) {
      options.digests.push(rowDigest(row));
      yield row;
    }
    for (;;) {
      const pending = rows.next();
      const next = await Promise.race([pending, stop]);
      if (next === STOP) {
        stoppedEarly = true;
        // The read may never settle on its own; destroying the input settles it, and its outcome no longer matters.
        pending.catch(() => undefined);
        options.onStop();
        return;
      }
      if (next.done) return;
      options.digests.push(rowDigest(next.value));
      yield next.value;
    }
  } finally {
    // A pending read would queue `return()` behind it; the input is released by `onStop` instead.
    if (!stoppedEarly) await rows.return?.();
  }
}
