/**
 * Issue "The core": the operator end to end over real HTTP, through the openai SDK,
 * against the simulator.
 */
import { Subject } from 'rxjs';
import { mlPredict, predictAll } from '@mlpredict/core';
import { startSimulator, type Simulator } from '@mlpredict/testing';
import { countRight, expectExactlyOnceInOrder, modelAt, reviews, sleep } from './support';

let sim: Simulator;
afterEach(async () => {
  await sim?.close();
});

const options = { batchSize: 20, concurrency: 8, valueField: 'sentiment', batchTimeoutMs: 50 };

it('1,600 records at batch 20, concurrency 8 → 80 requests, all right, in order', async () => {
  sim = await startSimulator({ latencyMs: 5 });
  const inputs = reviews(1600);
  const results = await predictAll<string, string>(modelAt(sim.url), inputs, options);
  expectExactlyOnceInOrder(results, inputs);
  const { right, wrong } = countRight(results);
  expect(wrong).toEqual([]);
  expect(right).toBe(1600);
  expect(sim.stats.chatRequests).toBe(80);
  expect(results.every((r) => r.meta.via === 'batch' && r.meta.attempts === 1)).toBe(true);
  expect(sim.stats.peakInFlight).toBeLessThanOrEqual(8);
});

it('under a mix of defects: every record exactly once, ≥ 99% right, no silent wrong value, far fewer requests', async () => {
  sim = await startSimulator({
    latencyMs: 2,
    seed: 7,
    defects: {
      fence: 0.15,
      prose: 0.1,
      shuffle: 0.2,
      missing: 0.1,
      duplicate: 0.05,
      conflict: 0.05,
      extra: 0.05,
      wrongIndexBase: 0.05,
      stringIndex: 0.1,
      truncate: 0.05,
      empty: 0.05,
      notJson: 0.05,
      serverError: 0.05,
      wrapObject: 0.1,
      pretty: 0.1,
    },
  });
  const inputs = reviews(1600);
  const results = await predictAll<string, string>(modelAt(sim.url), inputs, { ...options, retry: { strategy: 'fixed', baseDelayMs: 5, maxDelayMs: 5 } });
  expectExactlyOnceInOrder(results, inputs);
  const { right, wrong } = countRight(results);
  expect(wrong).toEqual([]);
  expect(right / inputs.length).toBeGreaterThanOrEqual(0.99);
  for (const r of results.filter((x) => x.error)) expect(['parse', 'missing', 'http', 'circuit_open']).toContain(r.error!.code);
  expect(sim.stats.chatRequests).toBeLessThan(inputs.length / 4);
  // Repairs happened and were counted.
  expect(results.some((r) => r.meta.repairs > 0)).toBe(true);
  expect(Object.values(sim.stats.defects).reduce((a, b) => a + b, 0)).toBeGreaterThan(20);
});

it('batchSize 1 sends one request per record', async () => {
  sim = await startSimulator();
  const inputs = reviews(30);
  const results = await predictAll<string, string>(modelAt(sim.url), inputs, { ...options, batchSize: 1 });
  expect(countRight(results).right).toBe(30);
  expect(sim.stats.chatRequests).toBe(30);
});

it('unsubscribing aborts the HTTP requests in flight', async () => {
  sim = await startSimulator({ latencyMs: 5_000 });
  const source = new Subject<string>();
  const subscription = source.pipe(mlPredict(modelAt(sim.url), { ...options, batchSize: 5, concurrency: 3 })).subscribe();
  for (const r of reviews(40)) source.next(r);
  for (let i = 0; i < 100 && sim.stats.inFlight < 3; i++) await sleep(10);
  expect(sim.stats.inFlight).toBe(3);
  subscription.unsubscribe();
  for (let i = 0; i < 100 && sim.stats.inFlight > 0; i++) await sleep(10);
  expect(sim.stats.inFlight).toBe(0);
  expect(sim.stats.aborted).toBe(3);
  expect(sim.stats.chatRequests).toBe(3);
});
