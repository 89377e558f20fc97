/**
 * Issue 11's "Done when", over real HTTP: the simulator lies in well-formed ways
 * (indices shifted, an item inserted and the list renumbered, the answer nested in
 * one more array, content as parts, a 200 carrying only an error, token counts
 * that aren't numbers, a model stuck in a bracket loop), and `predictAll` through
 * `openAIModel` and the openai SDK still gives every record exactly once, in
 * order, its right value or a coded error, never a wrong one.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { predictAll, RunStats, type PredictResult } from '@mlpredict/core';
import { startSimulator, type Simulator } from '@mlpredict/testing';
import { countRight, expectExactlyOnceInOrder, modelAt, reviews } from './support';

let sim: Simulator;
afterEach(async () => {
  await sim?.close();
});

// Fixed numbers: the seeded defect draws depend on the order requests go out in.
const options = { batchSize: 20, concurrency: 4, valueField: 'sentiment', batchTimeoutMs: 20, retry: { strategy: 'fixed' as const, baseDelayMs: 5, maxDelayMs: 5 } };
const CODES = ['parse', 'missing', 'http', 'circuit_open', 'timeout'];

function expectFiniteTokens(results: PredictResult<string>[], stats: RunStats): void {
  for (const r of results) {
    if (r.meta.usage === undefined) continue;
    expect(Number.isFinite(r.meta.usage.promptTokens) && Number.isFinite(r.meta.usage.completionTokens)).toBe(true);
  }
  const snapshot = stats.snapshot();
  expect(typeof snapshot.promptTokens).toBe('number');
  expect(Number.isFinite(snapshot.promptTokens) && Number.isFinite(snapshot.completionTokens) && Number.isFinite(snapshot.estimatedCost!)).toBe(true);
}

it('800 records at batch 20 with 5–8% of each lie: exactly once, in order, 0 wrong values, ≥ 98% right, every error coded', async () => {
  sim = await startSimulator({
    latencyMs: 1,
    seed: 11,
    defects: { shiftedIndices: 0.08, insertedItem: 0.07, nestedArray: 0.06, contentParts: 0.06, errorObject: 0.05, garbageUsage: 0.08 },
  });
  const inputs = reviews(800);
  const stats = new RunStats({ prices: { promptPerMillion: 0.15, completionPerMillion: 0.6 } });
  const results = await predictAll<string, string>(modelAt(sim.url), inputs, { ...options, stats });

  expectExactlyOnceInOrder(results, inputs);
  const { right, wrong } = countRight(results);
  expect(wrong).toEqual([]);
  expect(right / inputs.length).toBeGreaterThanOrEqual(0.98);
  for (const r of results.filter((x) => x.error)) expect(CODES).toContain(r.error!.code);
  expectFiniteTokens(results, stats);
  // Every lie reached the client, so all of the above was earned.
  for (const lie of ['shiftedIndices', 'insertedItem', 'nestedArray', 'contentParts', 'errorObject', 'garbageUsage']) {
    expect(sim.stats.defects[lie]).toBeGreaterThan(0);
  }
});

it('a 30 KB bracket-loop answer at 30% of requests: still correct, and the event loop is never blocked 250 ms at once', async () => {
  sim = await startSimulator({ latencyMs: 1, seed: 12, defects: { bracketLoop: 0.3 } });
  const inputs = reviews(400);
  const stats = new RunStats();
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  let results: PredictResult<string>[];
  try {
    results = await predictAll<string, string>(modelAt(sim.url), inputs, { ...options, stats, circuitBreaker: false });
  } finally {
    delay.disable();
  }

  expectExactlyOnceInOrder(results, inputs);
  const { right, wrong } = countRight(results);
  expect(wrong).toEqual([]);
  expect(right / inputs.length).toBeGreaterThanOrEqual(0.95);
  for (const r of results.filter((x) => x.error)) expect(CODES).toContain(r.error!.code);
  expect(sim.stats.defects.bracketLoop).toBeGreaterThan(20);
  // The longest stall of the event loop during the run (the histogram is in nanoseconds).
  expect(delay.max / 1e6).toBeLessThan(250);
});
