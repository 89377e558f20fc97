/**
 * The batching stage as an RxJS operator, for pipelines that want batches of
 * their own records (the engine uses the {@link Batcher} directly).
 */
import { Observable, type OperatorFunction } from 'rxjs';
import { Batcher, type BatchingSettings } from './batcher.js';

/**
 * Groups source values into arrays by size, timeout and token budget; whatever is
 * left is emitted when the source completes.
 *
 * @example
 * records$.pipe(batchRecords({ size: 20, timeoutMs: 100 }, (r) => estimateTokens(r.text)))
 */
export function batchRecords<T>(settings: BatchingSettings, tokensOf: (value: T) => number = () => 0): OperatorFunction<T, T[]> {
  return (source) =>
    new Observable<T[]>((subscriber) => {
      const batcher = new Batcher(settings, tokensOf, (batch) => subscriber.next(batch));
      const subscription = source.subscribe({
        next: (value) => batcher.add(value),
        error: (err) => subscriber.error(err),
        complete: () => {
          batcher.flush();
          subscriber.complete();
        },
      });
      return () => {
        subscription.unsubscribe();
        batcher.dispose();
      };
    });
}
