/**
 * `predictDeferred`: the provider's Batch API for backfills, at half price.
 */
import type { StandardSchemaV1 } from '@standard-schema/spec';
import type { BatchApi, Model } from '../model/model.js';
import { PredictError, type PredictResult } from '../results/result.js';
import { resolveDeferredOptions, type DeferredOptions } from '../deferred/deferred-options.js';
import { runDeferred } from '../deferred/deferred-run.js';
import { runCost } from '../cost/run-cost.js';

export type { DeferredOptions, DeferredJobOptions } from '../deferred/deferred-options.js';
export type { DeferredStatus } from '../deferred/deferred-status.js';
export { DeferredJobError } from '../deferred/deferred-error.js';

/**
 * Predicts every record of an array through the provider's Batch API: the same
 * batch prompts `mlPredict` sends (same batching, templates, structured-output
 * shape), sent as one job (or several, split at the provider's limits) that the
 * provider answers within its window at half the price. Resolves with one result
 * per record, in order, each matched to its answer by index with the same
 * reader and rules as in real time. What the job leaves unanswered (failed,
 * expired or unreadable lines, records an answer left out) is asked again in
 * real time (`repair: 'realtime'`, the default) or by follow-up jobs
 * (`repair: 'deferred'`).
 *
 * Everything is kept in `jobDir`: a manifest written before each step, the
 * request lines, the downloaded outcomes and, at the end, the results. Called
 * again with the same folder, records and options — after a crash, a kill, a
 * reboot — it resumes the same job and never submits twice; once done, it
 * returns the stored results. A folder made for other records or options is
 * refused. `signal` cancels the remote job (left running with `cancelOnAbort: false`,
 * for a later call to pick up) and resolves with `aborted` errors
 * for records without an answer.
 *
 * A bad option throws a `TypeError` at the call. The promise rejects for a
 * folder in use or made for another run, with a {@link DeferredJobError} when
 * the Batch API can't be used (the folder then keeps what was done: run again
 * to resume), and with `onError: 'throw'` for the first failed record.
 *
 * @example
 * import { predictDeferred, openAIModel } from '@mlpredict/core';
 *
 * const model = openAIModel({ model: 'gpt-4o-mini' });
 * const results = await predictDeferred(model, reviews, {
 *   jobDir: './jobs/reviews-2024-06',
 *   valueField: 'sentiment',
 *   batchSize: 20,
 *   onStatus: (s) => console.error(s.step, s.job?.providerStatus ?? '', s.job?.counts ?? ''),
 * });
 * results.filter((r) => !r.ok).forEach((r) => console.error(r.seq, r.error.code));
 *
 * @param model a model with a Batch API (`model.batches`), e.g. from `openAIModel`
 * @param records the records, as for `predictAll`
 * @param options `mlPredict`'s options plus `jobDir` (required), `pollIntervalMs`, `completionWindow`, `onStatus`, `repair`, `jobLimits`, `cancelOnAbort`
 * @returns one result per record, in input order
 * @see predictAll for real-time calls
 */
export function predictDeferred<T, S extends StandardSchemaV1>(model: Model, records: readonly T[], options: DeferredOptions & { valueSchema: S }): Promise<PredictResult<T, StandardSchemaV1.InferOutput<S>>[]>;
export function predictDeferred<T, V = unknown>(model: Model, records: readonly T[], options: DeferredOptions): Promise<PredictResult<T, V>[]>;
export function predictDeferred<T, V>(model: Model, records: readonly T[], options: DeferredOptions): Promise<PredictResult<T, V>[]> {
  if (!model?.batches) {
    throw new TypeError(`predictDeferred: model ${model?.name ?? String(model)} has no Batch API (model.batches); use openAIModel for an OpenAI-compatible endpoint with /v1/batches, or predictAll for real-time calls`);
  }
  if (!Array.isArray(records)) throw new TypeError('predictDeferred: records must be an array (the whole set goes into one job)');
  const { resolved, deferred, given } = resolveDeferredOptions(options, model);
  const cost = runCost(model.name, resolved.cost, 'predictDeferred');
  return runDeferred({ model: model as Model & { batches: BatchApi }, records, resolved, deferred, given, cost }).then((results) => {
    const failed = resolved.output.onError === 'throw' ? results.find((result) => !result.ok) : undefined;
    if (failed && !failed.ok) throw new PredictError(failed);
    return results as PredictResult<T, V>[];
  });
}
