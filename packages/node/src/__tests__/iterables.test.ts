import { Readable } from 'node:stream';
import { Observable, Subject, finalize, firstValueFrom, from, interval, lastValueFrom, map, take, tap, toArray } from 'rxjs';
import { mlPredict, predictIterable, type PredictResult } from '@mlpredict/core';
import { sentimentOf, startSimulator } from '@mlpredict/testing';
import { fromReadable, toAsyncIterable } from '@mlpredict/node';
import { countingSource, modelAt, reviews, sleep, waitFor, waitUntilSteady } from './support';

describe('toAsyncIterable', () => {
  it('yields every value in order and ends on complete', async () => {
    const seen: number[] = [];
    for await (const value of toAsyncIterable(interval(1).pipe(take(25)))) seen.push(value);
    expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => i));
  });

  it('subscribes on the first read, and unsubscribes when the loop breaks', async () => {
    let subscribed = 0;
    let finalized = 0;
    const source = new Observable<number>((subscriber) => {
      subscribed++;
      const timer = setInterval(() => subscriber.next(1), 1);
      return () => clearInterval(timer);
    }).pipe(finalize(() => finalized++));
    const iterable = toAsyncIterable(source);
    await sleep(10);
    expect(subscribed).toBe(0);
    for await (const _ of iterable) break;
    expect(subscribed).toBe(1);
    expect(finalized).toBe(1);
  });

  it('throws the observable\'s error after the values before it', async () => {
    const failure = new Error('boom');
    const source = new Observable<number>((subscriber) => {
      subscriber.next(1);
      subscriber.next(2);
      subscriber.error(failure);
    });
    const seen: number[] = [];
    await expect(
      (async () => {
        for await (const value of toAsyncIterable(source)) seen.push(value);
      })(),
    ).rejects.toBe(failure);
    expect(seen).toEqual([1, 2]);
  });

  it('fails with maxBuffered and the count when a hot observable outruns the loop', async () => {
    const hot = new Subject<number>();
    const iterator = toAsyncIterable(hot, { maxBuffered: 10 })[Symbol.asyncIterator]();
    const first = iterator.next(); // subscribes
    for (let i = 0; i < 50; i++) hot.next(i);
    await expect(first).resolves.toEqual({ value: 0, done: false });
    let error: unknown;
    try {
      for (;;) if ((await iterator.next()).done) break;
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RangeError);
    expect((error as Error).message).toMatch(/maxBuffered \(10\)/);
    expect((error as Error).message).toMatch(/11 values are waiting/);
    expect(hot.observed).toBe(false); // it let go of the source
  });

  it('rejects a maxBuffered that is not a positive integer', async () => {
    await expect(toAsyncIterable(from([1]), { maxBuffered: 0 }).next()).rejects.toThrow(/"maxBuffered": expected an integer >= 1, got 0/);
  });

  it('lets predictIterable pull an RxJS source with bounded buffering', async () => {
    const sim = await startSimulator({ latencyMs: 2 });
    try {
      const inputs = reviews(60);
      const source$ = interval(1).pipe(
        take(inputs.length),
        map((i) => inputs[i]!),
      );
      const results: PredictResult<string>[] = [];
      for await (const r of predictIterable<string>(modelAt(sim.url), toAsyncIterable(source$, { maxBuffered: 100 }), { batchSize: 10, batchTimeoutMs: 5, valueField: 'sentiment' })) {
        results.push(r);
      }
      expect(results.map((r) => r.input)).toEqual(inputs);
      expect(results.every((r) => r.value === sentimentOf(r.input))).toBe(true);
    } finally {
      await sim.close();
    }
  });
});

describe('fromReadable', () => {
  it('emits a Readable\'s records in order and completes', async () => {
    const values = await lastValueFrom(fromReadable<number>(Readable.from([1, 2, 3, 4])).pipe(toArray()));
    expect(values).toEqual([1, 2, 3, 4]);
  });

  it('takes async iterables too', async () => {
    async function* records() {
      yield 'a';
      yield 'b';
    }
    expect(await lastValueFrom(fromReadable(records()).pipe(toArray()))).toEqual(['a', 'b']);
  });

  it('destroys the Readable when unsubscribed', async () => {
    const source = countingSource(Array.from({ length: 1000 }, (_, i) => i));
    const first = await firstValueFrom(fromReadable<number>(source));
    expect(first).toBe(0);
    await waitFor(() => source.destroyed, 'the source to be destroyed');
    expect(source.produced).toBeLessThan(1000);
  });

  it('passes the stream\'s error on', async () => {
    const source = new Readable({ objectMode: true, read() {} });
    const result = lastValueFrom(fromReadable(source));
    source.push(1);
    source.destroy(new Error('read failed'));
    await expect(result).rejects.toThrow('read failed');
  });

  it('errors with maxBuffered and the count when the producer ignores backpressure', async () => {
    const hot = new Readable({ objectMode: true, read() {} });
    for (let i = 0; i < 50; i++) hot.push(i); // ignores push() returning false
    await expect(lastValueFrom(fromReadable(hot, { maxBuffered: 10 }))).rejects.toThrow(/holds \d+ records unread, more than maxBuffered \(10\)/);
  });

  it('stops reading while maxInFlight records have no result, when given a release signal', async () => {
    const sim = await startSimulator({ latencyMs: 30_000 });
    const source = countingSource(reviews(500));
    const done = new Subject<void>();
    const subscription = fromReadable<string>(source, { maxInFlight: 40, release: done })
      .pipe(
        mlPredict(modelAt(sim.url), { batchSize: 10, batchTimeoutMs: 0, concurrency: 2 }),
        tap(() => done.next()),
      )
      .subscribe();
    try {
      const produced = await waitUntilSteady(() => source.produced);
      // 40 emitted, plus what the Readable buffers ahead (its high-water mark, 16).
      expect(produced).toBeLessThanOrEqual(40 + 16 + 1);
      expect(produced).toBeGreaterThanOrEqual(40);
    } finally {
      subscription.unsubscribe();
      await sim.close();
    }
  });

  it('requires maxInFlight and release together', () => {
    expect(() => fromReadable(Readable.from([]), { maxInFlight: 5 })).toThrow(/"maxInFlight" and "release" go together/);
  });
});
