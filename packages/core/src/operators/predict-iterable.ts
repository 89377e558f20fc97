/**
 * Pull-driven prediction over (async) iterables: records are read from the source
 * only while fewer than `maxRecordsInFlight` are unanswered or unread, so memory is
 * bounded by the records in flight, never by the input size.
 */
import { Observable } from 'rxjs';
import type { Model } from '../model/model.js';
import { resolveOptions, type PredictOptions } from '../config/options.js';
import { mlPredict } from './ml-predict.js';
import { maxRecordsInFlight } from '../predict/prediction-run.js';
import type { PredictResult } from '../results/result.js';

/**
 * Predicts the records of an iterable or async iterable, yielding results in
 * order as the consumer asks for them. Breaking out of the loop aborts requests in
 * flight at once and asks the source iterator to close (without waiting for it).
 *
 * @example
 * import { predictIterable, openAIModel } from '@mlpredict/core';
 * for await (const r of predictIterable(openAIModel({ model: 'gpt-4o-mini' }), readLines('reviews.txt'), { valueField: 'sentiment' })) {
 *   console.log(r.value ?? r.error);
 * }
 */
export async function* predictIterable<T, V = unknown>(
  model: Model,
  records: Iterable<T> | AsyncIterable<T>,
  options: PredictOptions = {},
): AsyncGenerator<PredictResult<T, V>, void, undefined> {
  const bound = maxRecordsInFlight(resolveOptions(options, model, 'predictIterable'));
  const operator = mlPredict<T, V>(model, options);
  const iterator = Symbol.asyncIterator in records ? records[Symbol.asyncIterator]() : (records as Iterable<T>)[Symbol.iterator]();

  const results: PredictResult<T, V>[] = [];
  let finished = false;
  let failure: { error: unknown } | undefined;
  let wake: (() => void) | undefined;
  let pulled = 0;
  let yielded = 0;
  let pullerWake: (() => void) | undefined;
  const notify = () => {
    wake?.();
    wake = undefined;
  };

  const source = new Observable<T>((subscriber) => {
    let stopped = false;
    void (async () => {
      try {
        while (!stopped) {
          if (pulled - yielded >= bound) {
            await new Promise<void>((resolve) => (pullerWake = resolve));
            continue;
          }
          const next = await iterator.next();
          if (stopped) break;
          if (next.done) return subscriber.complete();
          pulled++;
          subscriber.next(next.value);
        }
      } catch (error) {
        subscriber.error(error);
      }
    })();
    return () => {
      stopped = true;
      pullerWake?.();
    };
  });

  const subscription = source.pipe(operator).subscribe({
    next: (result) => {
      results.push(result);
      notify();
    },
    error: (error) => {
      failure = { error };
      notify();
    },
    complete: () => {
      finished = true;
      notify();
    },
  });

  try {
    for (;;) {
      if (results.length > 0) {
        const result = results.shift()!;
        yielded++;
        pullerWake?.();
        pullerWake = undefined;
        yield result;
        continue;
      }
      if (failure) throw failure.error;
      if (finished) return;
      await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    subscription.unsubscribe();
    // Not awaited: an async generator queues return() behind a pending next(), and a
    // quiet source (an idle socket, stdin) would hold the consumer's `break` hostage.
    void Promise.resolve(iterator.return?.()).catch(() => undefined);
  }
}
