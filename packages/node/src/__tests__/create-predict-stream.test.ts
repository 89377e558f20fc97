import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ModelCallError, PredictError, type Model, type PredictResult } from '@mlpredict/core';
import { sentimentOf, startSimulator, type Simulator } from '@mlpredict/testing';
import { createPredictStream } from '@mlpredict/node';
import { countingSource, modelAt, reviews, waitFor, waitUntilSteady } from './support';

/** batchSize 5 × concurrency 2 + reorderWindow 10 = 20 records in flight at most. */
const SMALL = { batchSize: 5, concurrency: 2, reorderWindow: 10, batchTimeoutMs: 5, valueField: 'sentiment' };

describe('createPredictStream', () => {
  let sim: Simulator;
  afterEach(async () => {
    await sim?.close();
  });

  it('gives one result per record, in input order, through stream.pipeline over HTTP', async () => {
    sim = await startSimulator({ latencyMs: [1, 30], seed: 3 });
    const inputs = reviews(137);
    const results: PredictResult<string>[] = [];
    await pipeline(
      Readable.from(inputs),
      createPredictStream(modelAt(sim.url), { ...SMALL, concurrency: 4 }),
      new Writable({
        objectMode: true,
        write(result: PredictResult<string>, _encoding, callback) {
          results.push(result);
          callback();
        },
      }),
    );
    expect(results.map((r) => r.seq)).toEqual(inputs.map((_, i) => i));
    expect(results.map((r) => r.input)).toEqual(inputs);
    expect(results.map((r) => r.value)).toEqual(inputs.map(sentimentOf));
    expect(sim.stats.chatRequests).toBeLessThan(inputs.length / 2);
  });

  it('results() reads the same results as the stream, in order, one per record', async () => {
    sim = await startSimulator({ latencyMs: [1, 20], seed: 5 });
    const inputs = reviews(45);
    const stream = createPredictStream<string, string>(modelAt(sim.url), SMALL);
    Readable.from(inputs).pipe(stream);
    const results: PredictResult<string, string>[] = [];
    for await (const r of stream.results()) results.push(r);
    expect(results.map((r) => r.input)).toEqual(inputs);
    expect(results.map((r) => r.ok && r.value)).toEqual(inputs.map(sentimentOf));
  });

  it('stops pulling from its source while nobody reads its results', async () => {
    sim = await startSimulator({ latencyMs: 5 });
    const inputs = reviews(1000);
    const source = countingSource(inputs);
    const stream = createPredictStream<string>(modelAt(sim.url), SMALL);
    expect(stream.maxInFlight).toBe(20);
    source.pipe(stream); // nothing reads `stream`

    const produced = await waitUntilSteady(() => source.produced);
    // The bound, plus what Node itself buffers: the writable queue and the source's readable buffer (16 each).
    expect(produced).toBeLessThanOrEqual(stream.maxInFlight + 16 + 16 + 1);
    expect(produced).toBeGreaterThanOrEqual(stream.maxInFlight);
    expect(stream.inFlight).toBe(stream.maxInFlight);
    const requestsWhilePaused = sim.stats.chatRequests;
    expect(requestsWhilePaused).toBeLessThanOrEqual(Math.ceil((stream.maxInFlight + 16) / SMALL.batchSize));

    // Reading again lets everything through, in order, with nothing lost.
    const results: PredictResult<string>[] = [];
    for await (const result of stream) results.push(result as PredictResult<string>);
    expect(source.produced).toBe(inputs.length);
    expect(results.map((r) => r.seq)).toEqual(inputs.map((_, i) => i));
    expect(results.every((r) => r.value === sentimentOf(r.input))).toBe(true);
  });

  it('holds write callbacks, so write() returns false, once records in flight reach the bound', async () => {
    sim = await startSimulator({ latencyMs: 5 });
    const stream = createPredictStream<string>(modelAt(sim.url), SMALL, { writableHighWaterMark: 4 });
    let accepted = 0;
    let writes = 0;
    while (writes < 10_000 && stream.write(`Review ${writes}: great`, () => accepted++)) writes++;
    writes++;
    // write() said "stop" after the bound plus the writable queue, not before.
    expect(writes).toBeLessThanOrEqual(stream.maxInFlight + 4);
    await waitUntilSteady(() => accepted);
    // The write that filled the bound is taken in, but its callback waits.
    expect(stream.inFlight).toBe(stream.maxInFlight);
    expect(accepted).toBe(stream.maxInFlight - 1);

    const drained = new Promise<void>((resolve) => stream.once('drain', resolve));
    stream.resume(); // reading releases the held callbacks
    await drained;
    expect(accepted).toBe(writes);
    stream.destroy();
  });

  it('aborts the requests in flight when destroyed mid-stream', async () => {
    sim = await startSimulator({ latencyMs: 30_000 });
    const stream = createPredictStream<string>(modelAt(sim.url), { ...SMALL, batchTimeoutMs: 0 });
    const closed = new Promise<void>((resolve) => stream.once('close', resolve));
    for (const review of reviews(10)) stream.write(review);
    await waitFor(() => sim.stats.inFlight === 2, 'two requests in flight at the simulator');

    stream.destroy();
    await closed;
    await waitFor(() => sim.stats.inFlight === 0, 'the simulator to see the requests end');
    expect(sim.stats.aborted).toBe(2);
    expect(sim.stats.byStatus[200] ?? 0).toBe(0);
  });

  it('passes a source error to the pipeline callback and aborts its requests', async () => {
    sim = await startSimulator({ latencyMs: 30_000 });
    const failure = new Error('disk on fire');
    async function* failingSource() {
      yield* reviews(10);
      // Let the first batches reach the simulator before failing.
      while (sim.stats.inFlight < 2) await new Promise((resolve) => setTimeout(resolve, 10));
      throw failure;
    }
    const sink = new Writable({ objectMode: true, write: (_result, _encoding, callback) => callback() });
    await expect(pipeline(failingSource, createPredictStream(modelAt(sim.url), { ...SMALL, batchTimeoutMs: 0 }), sink)).rejects.toBe(failure);
    await waitFor(() => sim.stats.inFlight === 0, 'the requests to be aborted');
    expect(sim.stats.aborted).toBeGreaterThanOrEqual(2);
  });

  it('errors with the PredictError under onError: "throw"', async () => {
    const refusing: Model = {
      name: 'refusing',
      complete: async () => {
        throw new ModelCallError('bad request', { kind: 'http', status: 400 });
      },
    };
    const stream = createPredictStream(refusing, { onError: 'throw', fallback: 'none', maxRetries: 0, batchTimeoutMs: 0 });
    const sink = new Writable({ objectMode: true, write: (_result, _encoding, callback) => callback() });
    const run = pipeline(Readable.from(['a', 'b']), stream, sink);
    await expect(run).rejects.toBeInstanceOf(PredictError);
    await expect(run).rejects.toMatchObject({ code: 'http' });
  });

  it('ends at once, with no result, on an empty input', async () => {
    const never: Model = { name: 'never', complete: async () => Promise.reject(new Error('must not be called')) };
    const results: unknown[] = [];
    await pipeline(Readable.from([]), createPredictStream(never), async function* (source) {
      for await (const r of source) results.push(r);
    });
    expect(results).toEqual([]);
  });

  it('throws a TypeError naming a bad option before any stream exists', () => {
    const model: Model = { name: 'unused', complete: async () => ({ text: '' }) };
    expect(() => createPredictStream(model, { batchSize: 0 })).toThrow(/batchSize/);
    expect(() => createPredictStream(model, { batchSize: 0 })).toThrow(TypeError);
  });
});
