/**
 * Input rows → output rows, one each, in input order, on one predictor session:
 * readable records are submitted, unreadable ones take their place as
 * `bad_input`, and reading pauses while the session is full.
 */
import type { Model, PredictErrorInfo, PredictOptions, PredictResult } from '@mlpredict/core';
import { Predictor, resolveOptions } from '@mlpredict/core/internals';
import { isBadRow, type InputRow } from './input-row.js';
import type { RowProducer } from './write-rows.js';

/**
 * A record's error as the output carries it. `fatal`: the run itself failed
 * (a bad key, an unknown model) and every unsettled record got this error, or the
 * endpoint could not be reached (the engine's connection circuit is open: a job
 * stops there, to be resumed when it is back); such a row is never written, it
 * stops the run.
 */
export type OutputError = Pick<PredictErrorInfo, 'code' | 'message' | 'attempts'> & { fatal?: true };

/** One row of the output. */
export type OutputRow = { input: unknown; value: unknown } | { input: unknown; error: OutputError };

/** A `PredictResult` as an output row. */
export function resultRow(result: PredictResult<unknown, unknown, unknown>): OutputRow {
  if (!result.ok) {
    const { code, message, attempts, fatal, unreachable } = result.error;
    return { input: result.input, error: { code, message, attempts, ...((fatal || unreachable) && { fatal: true as const }) } };
  }
  return { input: result.input, value: result.value ?? null };
}

/**
 * The CLI's producer of output rows: the rest of the CLI (reading, resume,
 * writing, progress, signals) sees only this. One predictor session per run,
 * closed when `signal` aborts.
 *
 * @example
 * const outcome = await writeRows({ …, produce: rowProducer(model, { ...options, onRequest }) });
 */
export function rowProducer(model: Model, options: PredictOptions): RowProducer {
  // The output is a prefix of the input's rows (resume counts on it), whatever `--no-ordered` says.
  const resolved = resolveOptions({ ...options, ordered: true }, model, 'mlpredict');
  return (rows, signal) => predictRows(rows, new Predictor(model, resolved), signal);
}

/**
 * Feeds `rows` into `predictor` and yields one output row per input row, in
 * order. Reading pauses while the session is full; ending the loop early (or
 * `signal` aborting) closes the session, which aborts its requests.
 *
 * @example
 * for await (const row of predictRows(readJsonl(stdin), new Predictor(model, resolveOptions(options)))) {
 *   stdout.write(JSON.stringify(row) + '\n');
 * }
 */
export async function* predictRows(rows: AsyncIterable<InputRow>, predictor: Predictor<unknown, unknown, number>, signal?: AbortSignal): AsyncGenerator<OutputRow, void, undefined> {
  let failure: { error: unknown } | undefined;
  const close = () => predictor.close();
  if (signal?.aborted) close();
  else signal?.addEventListener('abort', close, { once: true });

  void (async () => {
    try {
      for await (const row of rows) {
        if (predictor.closed) return;
        const fits = isBadRow(row) ? predictor.submitInvalid(row.raw, undefined, row.problem) : predictor.submit(row.record);
        if (!fits) await predictor.ready();
      }
      if (!predictor.closed) predictor.end();
    } catch (error) {
      failure = { error };
      predictor.close();
    }
  })();

  try {
    for await (const result of predictor) yield resultRow(result);
    if (failure) throw failure.error;
  } finally {
    signal?.removeEventListener('abort', close);
    predictor.close();
  }
}
