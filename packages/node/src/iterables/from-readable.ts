/**
 * A Node Readable (or any async iterable) as an Observable that reads by pull:
 * one record at a time, and — when given a release signal — only while fewer
 * than `maxInFlight` records are unfinished downstream.
 */
import type { Readable } from 'node:stream';
import { Observable } from 'rxjs';
import { checkCount } from './check-count.js';

export interface FromReadableOptions {
  /**
   * The most records a Readable source may hold unread. A Readable whose producer
   * honours `push()`'s return value never gets near it; one that does not (a hot
   * source) makes the Observable error, naming this option and the count, rather
   * than grow without bound.
   * @default 10_000
   */
  maxBuffered?: number;
  /**
   * Stop reading while this many records have been emitted and not released.
   * Give it with `release`; without them RxJS has no way to say "wait", and the
   * source is read as fast as it yields.
   */
  maxInFlight?: number;
  /** Each emission releases one record, e.g. a Subject you `next()` per result. */
  release?: Observable<unknown>;
}

const DEFAULT_MAX_BUFFERED = 10_000;

/**
 * Turns a Node Readable or an async iterable into a cold Observable that pulls
 * records one at a time, so the source's own backpressure stays in force.
 * Unsubscribing stops reading and closes the source (a Readable is destroyed).
 *
 * RxJS cannot ask a source to wait, so to bound memory through an operator such as
 * `mlPredict`, pass `maxInFlight` and a `release` signal fed by the results: reading
 * stops while `maxInFlight` records have gone in without a result coming out.
 *
 * @example
 * import { Subject, tap } from 'rxjs';
 * import { mlPredict } from '@mlpredict/core';
 * import { fromReadable } from '@mlpredict/node';
 *
 * const done = new Subject<void>();
 * fromReadable(recordStream, { maxInFlight: 800, release: done })
 *   .pipe(mlPredict(model, { batchSize: 20, concurrency: 8 }), tap(() => done.next()))
 *   .subscribe((r) => console.log(r.value ?? r.error));
 *
 * @param source a Readable (object mode or not) or any (async) iterable
 * @param options `maxBuffered`, and `maxInFlight` with `release` for pacing
 * @returns an Observable of the source's records
 */
export function fromReadable<T = unknown>(source: Readable | AsyncIterable<T> | Iterable<T>, options: FromReadableOptions = {}): Observable<T> {
  const maxBuffered = checkCount('fromReadable', 'maxBuffered', options.maxBuffered ?? DEFAULT_MAX_BUFFERED);
  const maxInFlight = options.maxInFlight === undefined ? undefined : checkCount('fromReadable', 'maxInFlight', options.maxInFlight);
  if ((maxInFlight === undefined) !== (options.release === undefined)) {
    throw new TypeError('fromReadable: options "maxInFlight" and "release" go together: give both (to pace reading by results) or neither');
  }
  const readable = isReadable(source) ? source : undefined;

  return new Observable<T>((subscriber) => {
    const iterator: AsyncIterator<T> | Iterator<T> =
      Symbol.asyncIterator in source ? (source as AsyncIterable<T>)[Symbol.asyncIterator]() : (source as Iterable<T>)[Symbol.iterator]();
    let emitted = 0;
    let released = 0;
    let stopped = false;
    let wake: (() => void) | undefined;
    const resume = () => {
      wake?.();
      wake = undefined;
    };
    const releases = options.release?.subscribe(() => {
      released++;
      resume();
    });

    const checkBuffered = () => {
      const unread = readable?.readableObjectMode ? readable.readableLength : 0;
      if (unread > maxBuffered) {
        throw new RangeError(
          `fromReadable: the source holds ${unread} records unread, more than maxBuffered (${maxBuffered}); ` +
            'its producer keeps pushing when asked to stop (a hot source). Raise maxBuffered or make the producer honour push() returning false.',
        );
      }
    };

    void (async () => {
      try {
        while (!stopped) {
          if (maxInFlight !== undefined && emitted - released >= maxInFlight) {
            await new Promise<void>((resolve) => (wake = resolve));
            continue;
          }
          const next = await iterator.next();
          if (stopped) return;
          if (next.done) return subscriber.complete();
          checkBuffered();
          emitted++;
          subscriber.next(next.value);
        }
      } catch (error) {
        if (!stopped) subscriber.error(error);
      }
    })();

    return () => {
      stopped = true;
      resume();
      releases?.unsubscribe();
      // return() waits behind a pending next(); destroying the Readable stops reading now.
      readable?.destroy();
      void Promise.resolve(iterator.return?.()).catch(() => undefined);
    };
  });
}

function isReadable(value: unknown): value is Readable {
  return typeof value === 'object' && value !== null && typeof (value as Readable).pipe === 'function' && 'readableLength' in value;
}
