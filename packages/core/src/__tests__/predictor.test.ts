/**
 * The predictor session every adapter runs on: keys, push and pull delivery,
 * the in-flight count and its ready/drain signals, flush, end, abort and close.
 */
import { createPredictor, mlPredict, type PredictResult } from '@mlpredict/core';
import { config, lastValueFrom, of, toArray } from 'rxjs';
import { answerModel, labelAll, upper } from './support/answer-model';

const fast = { batchTimeoutMs: 1000, retry: { strategy: 'fixed' as const, baseDelayMs: 1, maxDelayMs: 1 } };

/** A model whose answers wait until the test releases them. */
function gatedModel() {
  const gates: Array<() => void> = [];
  const model = answerModel(async (records, request, call) => {
    await new Promise<void>((resolve) => gates.push(resolve));
    return labelAll(upper)(records, request, call);
  });
  const release = async () => {
    while (gates.length === 0) await new Promise((r) => setImmediate(r));
    while (gates.length) gates.shift()!();
    await new Promise((r) => setImmediate(r));
  };
  return { model, gates, release };
}

describe('createPredictor', () => {
  it('delivers each record once, in submission order, carrying its key (pull mode)', async () => {
    const predictor = createPredictor<string, string>(answerModel(labelAll(upper)), { ...fast, batchSize: 3 });
    for (const [key, word] of [['k1', 'a'], ['k2', 'b'], ['k3', 'c'], ['k4', 'd']] as const) predictor.submit(word, key);
    predictor.end();
    const results: PredictResult<string, unknown, string>[] = [];
    for await (const r of predictor) results.push(r);
    expect(results.map((r) => [r.key, r.seq, r.ok, r.value])).toEqual([
      ['k1', 0, true, 'A'],
      ['k2', 1, true, 'B'],
      ['k3', 2, true, 'C'],
      ['k4', 3, true, 'D'],
    ]);
    expect(predictor.closed).toBe(true);
  });

  it('keys default to the record’s position; push mode calls the handlers, then end', async () => {
    const seen: Array<[number, unknown]> = [];
    let endedAfter = -1;
    let ended!: () => void;
    const whenEnded = new Promise<void>((resolve) => (ended = resolve));
    const predictor = createPredictor(answerModel(labelAll(upper)), { ...fast, batchSize: 2 }, {
      result: (r) => seen.push([r.key, r.value]),
      end: () => {
        endedAfter = seen.length;
        ended();
      },
    });
    predictor.submit('x');
    predictor.submit('y');
    predictor.end();
    await whenEnded;
    expect(seen).toEqual([
      [0, 'X'],
      [1, 'Y'],
    ]);
    expect(endedAfter).toBe(2);
    expect(predictor.closed).toBe(true);
  });

  it('counts records in flight until they are taken, and says when to wait (submit → false, ready())', async () => {
    const { model, release } = gatedModel();
    const predictor = createPredictor<string>(model, { ...fast, batchSize: 2, concurrency: 1, reorderWindow: 0 });
    expect(predictor.maxInFlight).toBe(2);
    expect(predictor.submit('a')).toBe(true);
    expect(predictor.submit('b')).toBe(false); // the bound is reached: the record is taken all the same
    expect(predictor.inFlight).toBe(2);
    let ready = false;
    const waiting = predictor.ready().then(() => (ready = true));
    await release();
    expect(ready).toBe(false); // answered, but not taken yet: still in flight
    const iterator = predictor[Symbol.asyncIterator]();
    expect((await iterator.next()).value).toMatchObject({ value: 'A' });
    await waiting;
    expect(ready).toBe(true);
    expect(predictor.inFlight).toBe(1);
    await iterator.return?.();
    expect(predictor.closed).toBe(true);
  });

  it('flush() sends a partial batch at once; end() sends the last one', async () => {
    const model = answerModel(labelAll(upper));
    const predictor = createPredictor(model, { ...fast, batchSize: 10, batchTimeoutMs: 60_000 }, { result: () => undefined });
    predictor.submit('a');
    predictor.submit('b');
    await new Promise((r) => setImmediate(r));
    expect(model.requests).toHaveLength(0);
    predictor.flush();
    await predictor.drain();
    expect(model.requests).toHaveLength(1);
    predictor.submit('c');
    predictor.end();
    await predictor.drain();
    expect(model.requests).toHaveLength(2);
  });

  it('submitInvalid takes its place in the order as a bad_input result, never sent', async () => {
    const model = answerModel(labelAll(upper));
    const predictor = createPredictor<string, string>(model, { ...fast, batchSize: 5 });
    predictor.submit('a', 'r1');
    predictor.submitInvalid('{"broken', 'r2', 'line 2 is not JSON');
    predictor.submit('b', 'r3');
    predictor.end();
    const results = [];
    for await (const r of predictor) results.push(r);
    expect(results.map((r) => [r.key, r.ok ? r.value : r.error.code])).toEqual([
      ['r1', 'A'],
      ['r2', 'bad_input'],
      ['r3', 'B'],
    ]);
    expect(results[1]!.error?.message).toBe('line 2 is not JSON');
    expect(model.requests.map((r) => r.messages.at(-1)!.content).join()).not.toContain('broken');
  });

  it('abort() keeps the promise: every record without an answer gets an aborted result', async () => {
    const { model } = gatedModel();
    const results: PredictResult[] = [];
    const predictor = createPredictor(model, { ...fast, batchSize: 2, concurrency: 1 }, { result: (r) => results.push(r) });
    for (const w of ['a', 'b', 'c', 'd', 'e']) predictor.submit(w);
    await new Promise((r) => setImmediate(r));
    predictor.abort();
    predictor.submit('late');
    predictor.end();
    await predictor.drain();
    expect(results.map((r) => r.error?.code)).toEqual(Array(6).fill('aborted'));
    expect(results.map((r) => r.seq)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('close() tears down: requests aborted, nothing more delivered, ready() and drain() resolve', async () => {
    const { model } = gatedModel();
    const results: PredictResult[] = [];
    const predictor = createPredictor(model, { ...fast, batchSize: 1, concurrency: 2, reorderWindow: 0 }, { result: (r) => results.push(r) });
    predictor.submit('a');
    predictor.submit('b');
    predictor.submit('c');
    await new Promise((r) => setImmediate(r));
    const signals = model.requests.map((r) => r.signal!);
    predictor.close();
    await Promise.all([predictor.ready(), predictor.drain()]);
    expect(signals.every((s) => s.aborted)).toBe(true);
    expect(results).toEqual([]);
  });

  it('refuses a submit after end() with a clear error', () => {
    const predictor = createPredictor(answerModel(labelAll(upper)), fast, { result: () => undefined });
    predictor.end();
    expect(() => predictor.submit('x')).toThrow(/submit after end/);
  });

  it('refuses a submit after close() with a clear error: a record taken then would never get a result', () => {
    const predictor = createPredictor(answerModel(labelAll(upper)), fast, { result: () => undefined });
    predictor.submit('a');
    predictor.close();
    predictor.close();
    expect(() => predictor.submit('x')).toThrow(/submit after close\(\)/);
    expect(() => predictor.submitInvalid('y', undefined, 'unreadable')).toThrow(/submit after close\(\)/);
  });

  it('mlPredict over a synchronous source stops feeding a session that failed (onError: throw)', async () => {
    const model = answerModel(labelAll(upper));
    const run = lastValueFrom(of(null, 'a', 'b').pipe(mlPredict(model, { ...fast, batchTimeoutMs: 0, onError: 'throw' }), toArray()));
    const unhandled: unknown[] = [];
    const previous = config.onUnhandledError;
    config.onUnhandledError = (error) => unhandled.push(error);
    try {
      await expect(run).rejects.toThrow(/bad_input|null/);
      await new Promise((r) => setTimeout(r, 10));
    } finally {
      config.onUnhandledError = previous;
    }
    expect(unhandled).toEqual([]);
  });

  it('validates options at construction, naming createPredictor', () => {
    expect(() => createPredictor(answerModel(labelAll(upper)), { batchSize: 0 })).toThrow(/createPredictor: invalid options:\n {2}- "batchSize"/);
  });
});
