/**
 * `createPredictor`: the predictor session as users and adapters hold it.
 */
import type { Model } from '../model/model.js';
import { resolveOptions, type PredictOptions } from '../config/options.js';
import { Predictor, type PredictorHandlers } from '../predict/predictor.js';
import type { InferValue } from './infer-value.js';

/**
 * Opens a predictor session on a model: `submit(record, key)` records as they
 * come, and get each one's result exactly once — carrying its key, in input
 * order unless `ordered: false` — through `handlers.result` (push) or by
 * iterating the predictor (pull). `inFlight`, `submit`'s return value and
 * `ready()` tell a source when to wait; `end()` says no more records come;
 * `abort()` answers every unanswered record as `aborted`; `close()` tears down.
 * Every adapter (the operators, Node streams, the CLI, Kafka, Redis Streams) runs
 * on one of these.
 *
 * @example
 * import { createPredictor, openAIModel } from '@mlpredict/core';
 *
 * const predictor = createPredictor(openAIModel({ model: 'gpt-4o-mini' }), { valueField: 'sentiment', batchSize: 20 });
 * for (const [id, review] of [['r1', 'Great phone'], ['r2', 'Broke in a week']] as const) {
 *   if (!predictor.submit(review, id)) await predictor.ready();
 * }
 * predictor.end();
 * for await (const r of predictor) console.log(r.key, r.ok ? r.value : r.error.code);
 *
 * @param model any `Model`, e.g. from `openAIModel`
 * @param options the operators' options; validated here (a bad one throws a `TypeError` naming it)
 * @param handlers push mode: where results go; leave out to iterate the predictor instead
 * @returns the session
 * @see mlPredict, runSource
 */
export function createPredictor<T = unknown, K = number, O extends PredictOptions = PredictOptions>(
  model: Model,
  options?: O,
  handlers?: PredictorHandlers<T, InferValue<O>, K>,
): Predictor<T, InferValue<O>, K> {
  return new Predictor<T, InferValue<O>, K>(model, resolveOptions(options, model, 'createPredictor'), {}, handlers);
}
