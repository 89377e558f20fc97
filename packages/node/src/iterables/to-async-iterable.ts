/**
 * An Observable as an async iterable with a bounded buffer: values the loop has
 * not read yet wait in it, and past `maxBuffered` the iteration fails loudly
 * instead of holding the whole stream in memory.
 */
import type { Observable, Subscription } from 'rxjs';
import { checkCount } from './check-count.js';

export interface ToAsyncIterableOptions {
  /**
   * The most values that may wait for the loop to read them. An Observable cannot
   * be asked to wait, so one that pushes faster than the loop reads (a hot
   * observable, or `from(bigArray)`, which pushes everything at once) makes the
   * iteration throw a `RangeError` naming this option and the count.
   * @default 1000
   */
  maxBuffered?: number;
}

const DEFAULT_MAX_BUFFERED = 1000;

/**
 * Iterates an Observable with `for await`. It subscribes on the first read,
 * ends on `complete`, throws the Observable's error, and unsubscribes when the
 * loop ends early (`break`, `return`, a throw).
 *
 * Pair it with `predictIterable` to give an RxJS source bounded prediction: the
 * predictor pulls only while it has room, and `maxBuffered` catches a source that
 * will not slow down.
 *
 * @example
 * import { interval, map, take } from 'rxjs';
 * import { predictIterable } from '@mlpredict/core';
 * import { toAsyncIterable } from '@mlpredict/node';
 *
 * const reviews$ = interval(10).pipe(take(500), map((i) => `review ${i}`));
 * for await (const r of predictIterable(model, toAsyncIterable(reviews$, { maxBuffered: 2000 }))) {
 *   console.log(r.seq, r.value ?? r.error);
 * }
 *
 * @param source any Observable
 * @param options `maxBuffered`, the bound on values waiting to be read
 * @returns an async generator of the Observable's values
 */
export async function* toAsyncIterable<T>(source: Observable<T>, options: ToAsyncIterableOptions = {}): AsyncGenerator<T, void, undefined> {
  const maxBuffered = checkCount('toAsyncIterable', 'maxBuffered', options.maxBuffered ?? DEFAULT_MAX_BUFFERED);
  const buffer: T[] = [];
  let completed = false;
  let failure: { error: unknown } | undefined;
  let subscription: Subscription | undefined = undefined;
  let wake: (() => void) | undefined;
  const notify = () => {
    wake?.();
    wake = undefined;
  };

  subscription = source.subscribe({
    next: (value) => {
      if (failure || completed) return;
      if (buffer.length >= maxBuffered) {
        failure = {
          error: new RangeError(
            `toAsyncIterable: ${buffer.length + 1} values are waiting to be read, more than maxBuffered (${maxBuffered}); ` +
              'the observable pushes faster than the loop reads and cannot be asked to wait (a hot observable). ' +
              'Raise maxBuffered, read faster, or use a pull-driven source (fromReadable, an async iterable).',
          ),
        };
        // During a synchronous subscribe `subscription` is not assigned yet; it is
        // unsubscribed right after subscribe returns.
        subscription?.unsubscribe();
      } else {
        buffer.push(value);
      }
      notify();
    },
    error: (error: unknown) => {
      failure ??= { error };
      notify();
    },
    complete: () => {
      completed = true;
      notify();
    },
  });
  if (failure) subscription.unsubscribe();

  try {
    for (;;) {
      // Values that arrived before an error (or the overflow) are handed out first, as RxJS would.
      if (buffer.length > 0) {
        yield buffer.shift()!;
        continue;
      }
      if (failure) throw failure.error;
      if (completed) return;
      await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    subscription.unsubscribe();
  }
}
