/**
 * Input rows → output rows, one each, in input order: readable records go through
 * a predict stream, unreadable ones become `bad_input` rows, and each is put back
 * in its place. Rows waiting for their turn are bounded like the stream itself.
 */
import type { Model, PredictErrorInfo, PredictOptions, PredictResult } from '@mlpredict/core';
import { createPredictStream, type PredictStream } from '../stream/create-predict-stream.js';
import { isBadRow, type InputRow } from './input-row.js';
import type { RowProducer } from './write-rows.js';

/**
 * A record's error as the output carries it. `fatal`: the run itself failed
 * (a bad key, an unknown model, an endpoint that cannot be reached) and every
 * unsettled record got this error; such a row is never written, it stops the run.
 */
export type OutputError = Pick<PredictErrorInfo, 'code' | 'message' | 'attempts'> & { fatal?: true };

/** One row of the output. */
export type OutputRow = { input: unknown; value: unknown } | { input: unknown; error: OutputError };

/** A place in the output: filled at once for a bad row, on its result for a record. */
interface Slot {
  row?: OutputRow;
}

/** A `PredictResult` as an output row. */
export function resultRow(result: PredictResult): OutputRow {
  if (result.error) {
    const { code, message, attempts } = result.error;
    // `fatal` is the engine's mark for a run that cannot go on (issue 11); read it without depending on its type yet.
    const fatal = (result.error as { fatal?: boolean }).fatal === true;
    return { input: result.input, error: { code, message, attempts, ...(fatal && { fatal: true as const }) } };
  }
  return { input: result.input, value: result.value ?? null };
}

/**
 * The CLI's producer of output rows: the rest of the CLI (reading, resume,
 * writing, progress, signals) sees only this, so the engine behind it can change.
 * Today it is one predict stream per run, destroyed when `signal` aborts.
 *
 * @example
 * const outcome = await writeRows({ …, produce: rowProducer(model, { ...options, onRequest }) });
 */
export function rowProducer(model: Model, options: PredictOptions): RowProducer {
  return (rows, signal) => predictRows(rows, createPredictStream(model, options, { signal }));
}

/**
 * Feeds `rows` through `predictor` and yields one output row per input row, in
 * order. Reading the input pauses while `predictor.maxInFlight` rows wait for
 * their turn, and when the predictor holds its writes. Ending the loop early
 * destroys the predictor, which aborts its requests.
 *
 * @example
 * for await (const row of predictRows(readJsonl(stdin), createPredictStream(model, options))) {
 *   stdout.write(JSON.stringify(row) + '\n');
 * }
 */
export async function* predictRows(rows: AsyncIterable<InputRow>, predictor: PredictStream): AsyncGenerator<OutputRow, void, undefined> {
  const slots: Slot[] = [];
  /** Slots of records sent, by their `seq` (results may come out of order with `ordered: false`). */
  const awaitingResult = new Map<number, Slot>();
  let written = 0;
  const maxWaiting = predictor.maxInFlight;
  let inputDone = false;
  let resultsDone = false;
  let stopped = false;
  let failure: { error: unknown } | undefined;
  let wakeOutput: (() => void) | undefined;
  let wakeInput: (() => void) | undefined;
  const notifyOutput = () => {
    wakeOutput?.();
    wakeOutput = undefined;
  };
  const notifyInput = () => {
    wakeInput?.();
    wakeInput = undefined;
  };
  const fail = (error: unknown) => {
    failure ??= { error };
    notifyOutput();
  };

  const feedInput = async () => {
    for await (const row of rows) {
      while (slots.length >= maxWaiting && !stopped) await new Promise<void>((resolve) => (wakeInput = resolve));
      if (stopped) return;
      if (isBadRow(row)) {
        slots.push({ row: { input: row.raw, error: { code: 'bad_input', message: row.problem, attempts: 0 } } });
        notifyOutput();
        continue;
      }
      const slot: Slot = {};
      slots.push(slot);
      awaitingResult.set(written++, slot);
      if (!predictor.write(row.record)) await drained(predictor);
      if (stopped) return;
    }
    predictor.end();
    inputDone = true;
    notifyOutput();
  };

  const collectResults = async () => {
    for await (const result of predictor as AsyncIterable<PredictResult>) {
      const slot = awaitingResult.get(result.seq);
      if (!slot) throw new Error(`the predictor returned a result for no record sent (seq ${result.seq})`);
      awaitingResult.delete(result.seq);
      slot.row = resultRow(result);
      notifyOutput();
    }
    resultsDone = true;
    notifyOutput();
  };

  feedInput().catch((error: unknown) => {
    predictor.destroy();
    fail(error);
  });
  collectResults().catch(fail);

  try {
    for (;;) {
      if (slots[0]?.row) {
        yield slots.shift()!.row!;
        notifyInput();
        continue;
      }
      if (failure) throw failure.error;
      if (inputDone && resultsDone && slots.length === 0) return;
      await new Promise<void>((resolve) => (wakeOutput = resolve));
    }
  } finally {
    stopped = true;
    notifyInput();
    if (!resultsDone) predictor.destroy();
  }
}

/** Resolves on `drain`, or when the stream closes (its error reaches the reader). */
function drained(stream: PredictStream): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off('drain', done);
      stream.off('close', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('close', done);
  });
}
