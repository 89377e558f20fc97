/**
 * Issue "Resilience": rate limits, faults, hangs and cancellation over real HTTP.
 * Wall-time bounds here are the issue's own criteria, with the capacity ideal
 * computed from the server's limit; everything else counts requests.
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

it('(a) a server limit of 5 requests/s, no client limit: all right, in order, few 429s, near the limit', async () => {
  sim = await startSimulator({ latencyMs: 20, rateLimit: { requests: 5, windowMs: 1000 } });
  const inputs = reviews(400);
  const started = Date.now();
  const results = await predictAll<string, string>(modelAt(sim.url), inputs, { ...options, maxRetries: 20 });
  const wallMs = Date.now() - started;
  expectExactlyOnceInOrder(results, inputs);
  expect(countRight(results).right).toBe(400);
  const successes = sim.stats.byStatus[200] ?? 0;
  expect(successes).toBe(20);
  expect(sim.stats.rateLimited).toBeLessThanOrEqual(successes);
  const capacityIdealMs = (20 / 5) * 1000; // 20 requests at 5 per second
  expect(wallMs).toBeLessThanOrEqual(1.5 * capacityIdealMs);
});

it('(b) the same with requestsPerMinute: 300 draws at most 4 429s', async () => {
  sim = await startSimulator({ latencyMs: 20, rateLimit: { requests: 5, windowMs: 1000 } });
  const inputs = reviews(400);
  const results = await predictAll<string, string>(modelAt(sim.url), inputs, { ...options, maxRetries: 20, requestsPerMinute: 300 });
  expect(countRight(results).right).toBe(400);
  expect(sim.stats.rateLimited).toBeLessThanOrEqual(4);
});

it('(c) 10% 500s, 5% 429s, 3% hangs, malformed answers: every record once, in order, ≥ 99% right, every error coded', async () => {
  sim = await startSimulator({
    latencyMs: 5,
    seed: 13,
    faults: { serverError: 0.1, rateLimit: 0.05, hang: 0.03 },
    defects: { notJson: 0.03, truncate: 0.02, missing: 0.03, fence: 0.05 },
  });
  const inputs = reviews(800);
  const results = await predictAll<string, string>(modelAt(sim.url), inputs, {
    ...options,
    requestTimeoutMs: 1000,
    maxRetries: 5,
    retry: { strategy: 'exponential-jitter', baseDelayMs: 20, maxDelayMs: 200 },
  });
  expectExactlyOnceInOrder(results, inputs);
  const { right, wrong } = countRight(results);
  expect(wrong).toEqual([]);
  expect(right / inputs.length).toBeGreaterThanOrEqual(0.99);
  const codes = ['parse', 'missing', 'timeout', 'rate_limited', 'http', 'circuit_open'];
  for (const r of results.filter((x) => x.error)) {
    expect(codes).toContain(r.error!.code);
    expect(r.error!.attempts).toBeGreaterThan(0);
  }
  expect(sim.stats.byStatus[500] ?? 0).toBeGreaterThan(0);
  expect(sim.stats.rateLimited).toBeGreaterThan(0);
  expect(sim.stats.aborted).toBeGreaterThan(0); // the hangs were timed out
}, 120_000);

it('(d) unsubscribing mid-run: nothing in flight 300 ms later, nothing sent after', async () => {
  sim = await startSimulator({ latencyMs: 200 });
  const source = new Subject<string>();
  const subscription = source.pipe(mlPredict(modelAt(sim.url), { ...options, batchSize: 5, concurrency: 4 })).subscribe();
  for (const r of reviews(200)) source.next(r);
  // A wave answered and the next in flight (polled, not slept: a loaded machine shifts the waves).
  while (!(sim.stats.chatRequests > 4 && sim.stats.inFlight > 0)) await sleep(5);
  expect(sim.stats.inFlight).toBeGreaterThan(0);
  subscription.unsubscribe();
  await sleep(300);
  expect(sim.stats.inFlight).toBe(0);
  // Counted once requests already on the wire at the unsubscribe have arrived: nothing new after.
  const sentAtUnsubscribe = sim.stats.chatRequests;
  for (const r of reviews(20)) source.next(r);
  await sleep(300);
  expect(sim.stats.chatRequests).toBe(sentAtUnsubscribe);
});

it("the user's AbortSignal ends the run with every record answered as aborted or done", async () => {
  sim = await startSimulator({ latencyMs: 300 });
  const controller = new AbortController();
  const inputs = reviews(100);
  const pending = predictAll<string, string>(modelAt(sim.url), inputs, { ...options, batchSize: 10, concurrency: 2, signal: controller.signal });
  await sleep(450);
  controller.abort();
  const results = await pending;
  expectExactlyOnceInOrder(results, inputs);
  const aborted = results.filter((r) => r.error?.code === 'aborted').length;
  expect(aborted).toBeGreaterThan(50);
  expect(aborted + results.filter((r) => r.value).length).toBe(100);
});
