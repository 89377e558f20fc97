/**
 * Pull-driven prediction over (async) iterables: records are read from the source
 * only while the predictor has room (`maxInFlight` unanswered or unread), so
 * memory is bounded by the records in flight, never by the input size.
 */
import type { StandardSchemaV1 } from '@standard-schema/spec';
import type { Model } from '../model/model.js';
import { resolveOptions, type PredictOptions } from '../config/options.js';
import { Predictor } from '../predict/predictor.js';
import type { PredictResult } from '../results/result.js';

/**
 * Predicts the records of an iterable or async iterable, yielding results in
 * order as the consumer asks for them. Breaking out of the loop aborts requests in
 * flight at once and asks the source iterator to close (without waiting for it).
 *
 * @example
 * import { predictIterable, openAIModel } from '@mlpredict/core';
 * async function* reviews() { yield 'Great phone'; yield 'Broke in a week'; }
 * for await (const r of predictIterable(openAIModel({ model: 'gpt-4o-mini' }), reviews(), { valueField: 'sentiment' })) {
 *   console.log(r.ok ? r.value : r.error.message);
 * }
 */
export function predictIterable<T, S extends StandardSchemaV1>(model: Model, records: Iterable<T> | AsyncIterable<T>, options: PredictOptions & { valueSchema: S }): AsyncGenerator<PredictResult<T, StandardSchemaV1.InferOutput<S>>, void, undefined>;
export function predictIterable<T, V = unknown>(model: Model, records: Iterable<T> | AsyncIterable<T>, options?: PredictOptions): AsyncGenerator<PredictResult<T, V>, void, undefined>;
export async function* predictIterable<T, V>(model: Model, records: Iterable<T> | AsyncIterable<T>, options: PredictOptions = {}): AsyncGenerator<PredictResult<T, V>, void, undefined> {
  const predictor = new Predictor<T, V, number>(model, resolveOptions(options, model, 'predictIterable'));
  const iterator = Symbol.asyncIterator in records ? records[Symbol.asyncIterator]() : (records as Iterable<T>)[Symbol.iterator]();
  let sourceFailure: { error: unknown } | undefined;
  let stopped = false;

  void (async () => {
    try {
      while (!stopped && !predictor.closed) {
        await predictor.ready();
        if (stopped || predictor.closed) return;
        const next = await iterator.next();
        if (stopped || predictor.closed) return;
        if (next.done) return predictor.end();
        predictor.submit(next.value);
      }
    } catch (error) {
      sourceFailure = { error };
      predictor.close();
    }
  })();

  try {
    yield* predictor;
    if (sourceFailure) throw sourceFailure.error;
  } finally {
    stopped = true;
    predictor.close();
    // Not awaited: an async generator queues return() behind a pending next(), and a
    // quiet source (an idle socket, stdin) would hold the consumer's `break` hostage.
    void Promise.resolve(iterator.return?.()).catch(() => undefined);
  }
}
