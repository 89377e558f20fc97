/**
 * The `mlPredict` operator: Flink's batched ML_PREDICT for RxJS.
 */
import { Observable, type OperatorFunction } from 'rxjs';
import type { StandardSchemaV1 } from '@standard-schema/spec';
import type { Model } from '../model/model.js';
import { resolveOptions, type PredictOptions, type ResolvedOptions } from '../config/options.js';
import { Predictor, type PredictorParts } from '../predict/predictor.js';
import type { PredictResult } from '../results/result.js';

/**
 * Runs a model over every record of a stream, many records per request, and emits
 * exactly one {@link PredictResult} per input — its value or its error — in input
 * order (unless `ordered: false`).
 *
 * Use it where you would call the model once per record: it packs up to
 * `batchSize` records into one indexed prompt, keeps `concurrency` requests in
 * flight, parses the answer back by index and repairs what the model got wrong.
 * With a `valueSchema` (any Standard Schema) the results' value type follows it.
 * Options are validated here, at construction; a bad one throws a `TypeError`
 * naming it. Unsubscribing aborts every request in flight.
 *
 * @example
 * import { from } from 'rxjs';
 * import { z } from 'zod';
 * import { mlPredict, openAIModel } from '@mlpredict/core';
 *
 * const model = openAIModel({ model: 'gpt-4o-mini' });
 * from(['Great phone', 'Broke in a week']).pipe(
 *   mlPredict(model, { valueField: 'sentiment', valueSchema: z.enum(['positive', 'negative', 'neutral']) }),
 * ).subscribe((r) => console.log(r.seq, r.ok ? r.value : r.error.code)); // r.value: 'positive' | 'negative' | 'neutral' | undefined
 *
 * @param model any {@link Model}, e.g. from `openAIModel`
 * @param options see the README's options table; the model's `defaults` apply under them
 * @returns an operator from records to `PredictResult`s
 * @see predictAll, predictIterable, createPredictor
 */
export function mlPredict<T, S extends StandardSchemaV1>(model: Model, options: PredictOptions & { valueSchema: S }): OperatorFunction<T, PredictResult<T, StandardSchemaV1.InferOutput<S>>>;
export function mlPredict<T, V = unknown>(model: Model, options?: PredictOptions): OperatorFunction<T, PredictResult<T, V>>;
export function mlPredict<T, V>(model: Model, options: PredictOptions = {}): OperatorFunction<T, PredictResult<T, V>> {
  return predictOperator<T, V>(model, resolveOptions(options, model, 'mlPredict'));
}

/**
 * The operator around a predictor session: submit each input, end with the
 * source, close on unsubscribe. Shared by every operator of the family.
 */
export function predictOperator<T, V>(model: Model, resolved: ResolvedOptions, parts?: PredictorParts): OperatorFunction<T, PredictResult<T, V>> {
  return (source) =>
    new Observable<PredictResult<T, V>>((subscriber) => {
      const predictor = new Predictor<T, V, number>(model, resolved, parts, {
        result: (result) => subscriber.next(result),
        error: (error) => subscriber.error(error),
        end: () => subscriber.complete(),
      });
      const subscription = source.subscribe({
        // A synchronous source keeps emitting after the session failed (`onError: 'throw'`): nothing to send those to.
        next: (input) => void (predictor.closed || predictor.submit(input)),
        error: (error) => {
          predictor.close();
          subscriber.error(error);
        },
        complete: () => predictor.end(),
      });
      return () => {
        subscription.unsubscribe();
        predictor.close();
      };
    });
}
