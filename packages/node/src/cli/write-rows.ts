/**
 * The run itself, apart from how results are produced: input rows go to a
 * producer, output rows come back one per input row in input order and go to the
 * sink. It stops reading at the first signal and lets the producer finish what it
 * holds; it gives up the rows in flight when told to abort; and it stops at once,
 * writing nothing more, at a row whose error is fatal. Whatever happens, the
 * output holds complete rows only, a prefix of the full run.
 */
import { feedRows } from './feed-rows.js';
import type { InputRow } from './input-row.js';
import type { Interrupts } from './interrupts.js';
import type { OutputError, OutputRow } from './predict-rows.js';
import type { RowSink } from './row-sink.js';
import type { RunTally } from './run-tally.js';
import type { ProgressDisplay } from './show-progress.js';

/** Turns input rows into output rows, one each, in order; stops when `signal` aborts. */
export type RowProducer = (rows: AsyncIterable<InputRow>, signal: AbortSignal) => AsyncIterable<OutputRow>;

export interface WriteRowsOptions {
  /** The input rows left to do. */
  rows: AsyncIterator<InputRow>;
  /** Rows already read from `rows`' source, to go first. */
  head?: readonly InputRow[];
  /** Releases the input when reading stops early (destroys the stream). */
  releaseInput(): void;
  produce: RowProducer;
  sink: RowSink;
  tally: RunTally;
  progress: ProgressDisplay;
  interrupts: Interrupts;
}

export type RunOutcome =
  /** Every input row has its output row. */
  | { kind: 'complete' }
  /** A signal stopped the reading; `aborted`: rows in flight were given up rather than waited for. */
  | { kind: 'interrupted'; aborted: boolean }
  /** A row's error said the run cannot go on; nothing from it on was written. */
  | { kind: 'fatal'; error: OutputError }
  /** The run's budget (`--max-cost`, `--max-tokens-total`) was spent: nothing from the first row it kept back on was written. */
  | { kind: 'budget'; error: OutputError }
  /** The producer or the output failed. */
  | { kind: 'failed'; error: unknown };

const ABORTED: unique symbol = Symbol('aborted');

/**
 * @example
 * const outcome = await writeRows({ rows: reader.rows, releaseInput: () => input.destroy(), produce, sink, tally, progress, interrupts });
 * if (outcome.kind === 'interrupted') console.error('rerun with --resume');
 */
export async function writeRows(options: WriteRowsOptions): Promise<RunOutcome> {
  const { sink, tally, progress, interrupts } = options;
  const producer = new AbortController();
  let halt!: () => void;
  const halted = new Promise<void>((resolve) => (halt = resolve));
  void interrupts.stopped.then(halt);
  const abortProducer = () => {
    halt();
    producer.abort();
  };
  interrupts.aborted.addEventListener('abort', abortProducer, { once: true });
  if (interrupts.aborted.aborted) abortProducer();
  const givenUp = new Promise<typeof ABORTED>((resolve) => producer.signal.addEventListener('abort', () => resolve(ABORTED), { once: true }));

  let stoppedEarly = false;
  const digests: Buffer[] = [];
  const fed = feedRows(options.rows, {
    head: options.head,
    stopped: halted,
    digests,
    onStop: () => {
      stoppedEarly = true;
      options.releaseInput();
    },
  });
  const results = options.produce(fed, producer.signal)[Symbol.asyncIterator]();
  let outcome: RunOutcome | undefined;
  try {
    for (;;) {
      const pending = results.next();
      const next = await Promise.race([pending, givenUp]);
      if (next === ABORTED) {
        // Whatever the producer still says is for rows given up.
        pending.catch(() => undefined);
        return (outcome = { kind: 'interrupted', aborted: true });
      }
      if (next.done) break;
      const row = next.value;
      if ('error' in row && row.error.fatal) return (outcome = { kind: 'fatal', error: row.error });
      // The output stays a prefix of answered rows, so --resume (with a new budget) picks up exactly what was not sent.
      if ('error' in row && row.error.code === 'budget') return (outcome = { kind: 'budget', error: row.error });
      await sink.write(row, digests.shift()!);
      tally.addRow(row);
      progress.update();
    }
  } catch (error) {
    return (outcome = producer.signal.aborted ? { kind: 'interrupted', aborted: true } : { kind: 'failed', error });
  } finally {
    interrupts.aborted.removeEventListener('abort', abortProducer);
    if (outcome !== undefined) {
      abortProducer();
      // Not awaited: a producer busy on a read would hold `return()` until that read settles.
      results.return?.().catch(() => undefined);
    }
  }
  return interrupts.received !== undefined && stoppedEarly ? { kind: 'interrupted', aborted: false } : { kind: 'complete' };
}
