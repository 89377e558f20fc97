/**
 * Issue 17 over real HTTP, counted: the quality guard picks the batch size the
 * simulator's accuracy curve says; tokensPerMinute at the server's quota draws
 * no more 429s than leaving it out; limits are learned from the headers; the
 * context is learned at the first overflow, or known from maxPromptTokens.
 */
import { localQuota, predictAll, tuneBatchSize, type BatchSizeReport } from '@mlpredict/core';
import { AUTO_START_CONCURRENCY } from '@mlpredict/core/internals';
import { expectedAccuracy, sentimentOf, startSimulator, type Simulator } from '@mlpredict/testing';
import { countRight, expectExactlyOnceInOrder, modelAt, reviews } from './support';

let sim: Simulator;
afterEach(async () => {
  await sim?.close();
});

const options = { valueField: 'sentiment', batchTimeoutMs: 20 };

it('tuneBatchSize on a model that degrades with batch size picks the size its accuracy curve says', async () => {
  const curve = { atBatchSize1: 0.98, perRecord: 0.004, perPosition: 0.002, floor: 0.5 };
  sim = await startSimulator({ accuracy: curve, seed: 7 });
  const sample = reviews(1000).map((input) => ({ input, label: sentimentOf(input) }));
  const sizes = [1, 5, 10, 20, 50];
  // Expected: 0.98, ~0.96, ~0.935, ~0.885, ~0.735. Within 0.07 of batch 1: up to 10.
  const tolerance = 0.07;
  const reported: BatchSizeReport[] = [];
  const result = await tuneBatchSize(modelAt(sim.url), sample, { ...options, sizes, tolerance, onSize: (r) => reported.push(r) });

  const expected = sizes.map((size) => expectedAccuracy(curve, size, sample.length));
  const curveSays = sizes.filter((_, i) => expected[i]! >= expected[0]! - tolerance).at(-1);
  expect(curveSays).toBe(10);
  expect(result.recommended).toBe(curveSays);
  expect(result.sizes.map((r) => r.batchSize)).toEqual(sizes);
  expect(reported).toEqual(result.sizes);
  result.sizes.forEach((report, i) => {
    // Each measured accuracy within 4 standard errors of the curve's.
    const p = expected[i]!;
    expect(Math.abs(report.accuracy - p)).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / sample.length));
    expect(report.right + report.wrong + report.errors).toBe(sample.length);
    expect(report.requests).toBeGreaterThanOrEqual(Math.ceil(sample.length / report.batchSize));
    expect(report.promptTokens).toBeGreaterThan(0);
  });
  // Tokens per record fall with the batch: the cost side of the trade.
  expect(result.sizes.at(-1)!.promptTokens).toBeLessThan(result.sizes[0]!.promptTokens / 3);
  // Every record, once per size: what the server saw.
  expect(sim.stats.recordsSeen).toBe(sample.length * sizes.length);
});

it('tuneBatchSize refuses what it would silently get wrong, before any request', async () => {
  sim = await startSimulator();
  const model = modelAt(sim.url);
  const sample = [{ input: 'Great phone', label: 'positive' }];
  await expect(tuneBatchSize(model, [], {})).rejects.toThrow(/the labelled sample is empty/);
  await expect(tuneBatchSize(model, sample, { batchSize: 5 } as never)).rejects.toThrow(/"batchSize" is what tuneBatchSize measures/);
  await expect(tuneBatchSize(model, sample, { cache: true } as never)).rejects.toThrow(/"cache" would answer later sizes/);
  await expect(tuneBatchSize(model, sample, { sizes: [0, 5] })).rejects.toThrow(/"sizes" must be/);
  await expect(tuneBatchSize(model, sample, { tolerance: 2 })).rejects.toThrow(/"tolerance" must be a fraction/);
  await expect(tuneBatchSize(model, sample, { temperature: 9 })).rejects.toThrow(/tuneBatchSize: invalid options/);
  expect(sim.stats.chatRequests).toBe(0);
});

it('tuneBatchSize with nothing right at the smallest size stops there, naming why, instead of recommending the largest', async () => {
  sim = await startSimulator();
  const sample = reviews(30).map((input) => ({ input, label: 'a label the simulator never gives' }));
  const reported: BatchSizeReport[] = [];
  await expect(tuneBatchSize(modelAt(sim.url), sample, { ...options, sizes: [1, 5, 50], onSize: (r) => reported.push(r) })).rejects.toThrow(
    /no record was answered right at batch size 1 \(30 wrong, 0 errors; first answer: "(positive|negative|neutral)" for the label "a label the simulator never gives"\)/,
  );
  expect(reported.map((r) => r.batchSize)).toEqual([1]);
  expect(sim.stats.recordsSeen).toBe(sample.length);
});

describe('a server allowing 6,000 tokens in any second', () => {
  const limit = { tokens: 6000, windowMs: 1000 };

  it('tokensPerMinute at its quota draws no more 429s than without it (and none at all), every record right', async () => {
    const inputs = reviews(800);
    sim = await startSimulator({ latencyMs: 20, rateLimit: limit, seed: 5 });
    const without = await predictAll<string, string>(modelAt(sim.url), inputs, options);
    const withoutRefusals = sim.stats.rateLimited;
    await sim.close();
    sim = await startSimulator({ latencyMs: 20, rateLimit: limit, seed: 5 });
    const withQuota = await predictAll<string, string>(modelAt(sim.url), inputs, { ...options, tokensPerMinute: limit.tokens * 60 });
    expect(sim.stats.rateLimited).toBeLessThanOrEqual(withoutRefusals);
    expect(sim.stats.rateLimited).toBe(0);
    for (const results of [without, withQuota]) {
      expectExactlyOnceInOrder(results, inputs);
      expect(countRight(results).right).toBe(inputs.length);
    }
  });

  it('the model’s quota learns the limit from the x-ratelimit-* headers: refusals only before the first answer', async () => {
    sim = await startSimulator({ latencyMs: 20, rateLimit: { requests: 5, windowMs: 1000 }, seed: 6 });
    const quota = localQuota();
    const inputs = reviews(200);
    const results = await predictAll<string, string>(modelAt(sim.url, { quota }), inputs, { ...options, batchSize: 5 }); // 40 requests: 8 windows
    expect(countRight(results).right).toBe(inputs.length);
    expect(quota.rates.requests).toMatchObject({ limit: 5, windowMs: 1000 });
    expect(sim.stats.rateLimited).toBeLessThanOrEqual(AUTO_START_CONCURRENCY);
  });
});

describe('a 2,000-token context and long records', () => {
  const long = (n: number) => reviews(n).map((t) => `${t} It came in a plain box with a manual, a cable and a card with the warranty terms.`.repeat(2));

  it('learns the context at the first overflow: overflows only in the first wave, every record right', async () => {
    sim = await startSimulator({ contextTokens: 2000, seed: 8 });
    const inputs = long(600);
    const results = await predictAll<string, string>(modelAt(sim.url), inputs, options);
    expectExactlyOnceInOrder(results, inputs);
    expect(countRight(results).right).toBe(inputs.length);
    expect(sim.stats.contextExceeded).toBeGreaterThan(0);
    expect(sim.stats.contextExceeded).toBeLessThanOrEqual(AUTO_START_CONCURRENCY);
  });

  it('with maxPromptTokens stated, never overflows at all', async () => {
    sim = await startSimulator({ contextTokens: 2000, seed: 8 });
    const inputs = long(600);
    const results = await predictAll<string, string>(modelAt(sim.url, { maxPromptTokens: 2000 }), inputs, options);
    expect(countRight(results).right).toBe(inputs.length);
    expect(sim.stats.contextExceeded).toBe(0);
  });
});
