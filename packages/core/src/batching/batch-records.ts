/**
 * The batching stage: groups records by count, by time since a batch's first
 * record, and by an estimated token budget.
 */
import { Observable, asyncScheduler, type OperatorFunction, type SchedulerLike, type Subscription } from 'rxjs';

export interface BatchRecordsOptions {
  /** Emit a batch when it holds this many records. */
  size: number;
  /** Emit a partial batch this long after its first record arrived. */
  timeoutMs: number;
  /** Start a new batch rather than let the sum of `tokensOf` exceed this. */
  maxTokens?: number;
  /** Scheduler for the timeout; a TestScheduler in tests. */
  scheduler?: SchedulerLike;
}

/**
 * Groups source values into arrays by size, timeout and token budget. The timer
 * starts at a batch's first record, so an idle stream never emits empty batches;
 * whatever is left is emitted when the source completes.
 *
 * @example
 * records$.pipe(batchRecords({ size: 20, timeoutMs: 100 }, (r) => estimateTokens(r.text)))
 */
export function batchRecords<T>(options: BatchRecordsOptions, tokensOf: (value: T) => number = () => 0): OperatorFunction<T, T[]> {
  const { size, timeoutMs, maxTokens, scheduler = asyncScheduler } = options;
  return (source) =>
    new Observable<T[]>((subscriber) => {
      let batch: T[] = [];
      let tokens = 0;
      let timer: Subscription | undefined;

      const flush = () => {
        timer?.unsubscribe();
        timer = undefined;
        if (batch.length === 0) return;
        const full = batch;
        batch = [];
        tokens = 0;
        subscriber.next(full);
      };

      const subscription = source.subscribe({
        next(value) {
          const cost = tokensOf(value);
          if (maxTokens !== undefined && batch.length > 0 && tokens + cost > maxTokens) flush();
          batch.push(value);
          tokens += cost;
          if (batch.length >= size) flush();
          else if (batch.length === 1) timer = scheduler.schedule(flush, timeoutMs);
        },
        error(err) {
          subscriber.error(err);
        },
        complete() {
          flush();
          subscriber.complete();
        },
      });

      return () => {
        subscription.unsubscribe();
        timer?.unsubscribe();
        batch = [];
      };
    });
}
