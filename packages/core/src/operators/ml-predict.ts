/**
 * The `mlPredict` operator: Flink's batched ML_PREDICT for RxJS.
 */
import { Observable, type OperatorFunction } from 'rxjs';
import type { Model } from '../model/model.js';
import { resolveOptions, type PredictOptions, type ResolvedOptions } from '../config/options.js';
import { batchRecords } from '../batching/batch-records.js';
import { PredictionRun, type RunParts } from '../predict/prediction-run.js';
import type { PredictResult } from '../results/result.js';
import type { WorkItem } from '../predict/work-item.js';

/**
 * Runs a model over every record of a stream, many records per request, and emits
 * exactly one {@link PredictResult} per input — its value or its error — in input
 * order (unless `ordered: false`).
 *
 * Use it where you would call the model once per record: it packs up to
 * `batchSize` records into one indexed prompt, keeps `concurrency` requests in
 * flight, parses the answer back by index and repairs what the model got wrong.
 * Options are validated here, at construction; a bad one throws a `TypeError`
 * naming it. Unsubscribing aborts every request in flight.
 *
 * @example
 * import { from } from 'rxjs';
 * import { mlPredict, openAIModel } from '@mlpredict/core';
 *
 * const model = openAIModel({ model: 'gpt-4o-mini' });
 * from(['Great phone', 'Broke in a week']).pipe(
 *   mlPredict(model, { valueField: 'sentiment', instruction: 'Classify the sentiment (positive, negative, neutral) of each review.' }),
 * ).subscribe((r) => console.log(r.seq, r.value ?? r.error));
 *
 * @param model any {@link Model}, e.g. from `openAIModel`
 * @param options see the README's options table; the model's `defaults` apply under them
 * @returns an operator from records to `PredictResult`s
 * @see predictAll, predictIterable
 */
export function mlPredict<T, V = unknown>(model: Model, options: PredictOptions = {}): OperatorFunction<T, PredictResult<T, V>> {
  return predictOperator<T, V>(model, resolveOptions(options, model, 'mlPredict'));
}

/**
 * The operator around a {@link PredictionRun}: admit each input, batch, run,
 * tear everything down on unsubscribe. Shared by every operator of the family.
 */
export function predictOperator<T, V>(model: Model, resolved: ResolvedOptions, parts?: RunParts): OperatorFunction<T, PredictResult<T, V>> {
  return (source) =>
    new Observable<PredictResult<T, V>>((subscriber) => {
      const run = new PredictionRun<T>(
        model,
        resolved,
        {
          next: (result) => subscriber.next(result as PredictResult<T, V>),
          error: (error) => subscriber.error(error),
          complete: () => subscriber.complete(),
        },
        parts,
      );
      const admitted = new Observable<WorkItem<T>>((inner) =>
        source.subscribe({
          next: (input) => {
            const item = run.admit(input);
            if (item) inner.next(item);
          },
          error: (error) => inner.error(error),
          complete: () => inner.complete(),
        }),
      );
      const subscription = admitted
        .pipe(batchRecords({ size: resolved.batchSize, timeoutMs: resolved.batchTimeoutMs, maxTokens: resolved.maxBatchTokens, scheduler: resolved.scheduler }, (item) => item.tokens))
        .subscribe({
          next: (batch) => run.enqueue(batch),
          error: (error) => run.sourceError(error),
          complete: () => run.sourceComplete(),
        });
      return () => {
        subscription.unsubscribe();
        run.dispose();
      };
    });
}
