/**
 * Arrays in, results out, for code that has all its records at hand.
 */
import { from, lastValueFrom, toArray } from 'rxjs';
import type { StandardSchemaV1 } from '@standard-schema/spec';
import type { Model } from '../model/model.js';
import type { PredictOptions } from '../config/options.js';
import { mlPredict } from './ml-predict.js';
import type { PredictResult } from '../results/result.js';

/**
 * Predicts every record of an array; resolves with one result per record, in order.
 * It rejects only for a bad option or, with `onError: 'throw'`, the first failed record.
 *
 * @example
 * import { predictAll, openAIModel } from '@mlpredict/core';
 * const results = await predictAll(openAIModel({ model: 'gpt-4o-mini' }), ['Great phone', 'Awful'], { valueField: 'sentiment' });
 * results.map((r) => r.value); // → ['positive', 'negative']
 */
export function predictAll<T, S extends StandardSchemaV1>(model: Model, records: readonly T[], options: PredictOptions & { valueSchema: S }): Promise<PredictResult<T, StandardSchemaV1.InferOutput<S>>[]>;
export function predictAll<T, V = unknown>(model: Model, records: readonly T[], options?: PredictOptions): Promise<PredictResult<T, V>[]>;
export function predictAll<T, V>(model: Model, records: readonly T[], options: PredictOptions = {}): Promise<PredictResult<T, V>[]> {
  const operator = mlPredict<T, V>(model, options);
  return lastValueFrom(from(records).pipe(operator, toArray()));
}
