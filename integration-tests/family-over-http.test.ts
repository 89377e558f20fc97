/**
 * Issue "The function family": embeddings, cache, schemas, filter and the other
 * response formats over real HTTP against the simulator.
 */
import OpenAI from 'openai';
import { z } from 'zod';
import { embedAll, filterAll, predictAll } from '@mlpredict/core';
import { startSimulator, sentimentOf, type Simulator } from '@mlpredict/testing';
import { countRight, expectExactlyOnceInOrder, modelAt, reviews } from './support';

let sim: Simulator;
afterEach(async () => {
  await sim?.close();
});

it('embeds 1,000 texts at batchSize 100 in ≤ 10 requests, in order, equal to a direct call', async () => {
  sim = await startSimulator();
  const texts = reviews(1000);
  const results = await embedAll(modelAt(sim.url), texts, { batchSize: 100, batchTimeoutMs: 20 });
  expect(sim.stats.embeddingRequests).toBeLessThanOrEqual(10);
  expectExactlyOnceInOrder(results, texts);
  const direct = await new OpenAI({ baseURL: sim.url, apiKey: 'k', maxRetries: 0 }).embeddings.create({ model: 'sim', input: texts });
  const vectors = [...direct.data].sort((a, b) => a.index - b.index).map((d) => d.embedding);
  expect(results.map((r) => r.value)).toEqual(vectors);
});

it('1,000 records with 50 distinct texts and cache: true → ≤ 5 chat requests, all right', async () => {
  sim = await startSimulator({ latencyMs: 5 });
  const distinct = reviews(50);
  const inputs = Array.from({ length: 1000 }, (_, i) => distinct[(i * 7) % 50]!);
  const results = await predictAll<string, string>(modelAt(sim.url), inputs, { valueField: 'sentiment', batchSize: 20, concurrency: 4, cache: true, batchTimeoutMs: 20 });
  expectExactlyOnceInOrder(results, inputs);
  expect(countRight(results).right).toBe(1000);
  expect(sim.stats.chatRequests).toBeLessThanOrEqual(5);
  expect(results.filter((r) => r.meta.via === 'cache').length).toBeGreaterThanOrEqual(950);
});

it('a z.enum schema turns out-of-enum answers into schema errors while the rest pass', async () => {
  // The simulator answers "unsure" for reviews with a question mark.
  sim = await startSimulator({ label: (text) => (text.includes('?') ? 'unsure' : sentimentOf(text)) });
  const inputs = reviews(60).map((t, i) => (i % 10 === 0 ? `${t} Really?` : t));
  const results = await predictAll<string, string>(modelAt(sim.url), inputs, {
    valueField: 'sentiment',
    valueSchema: z.enum(['positive', 'negative', 'neutral']),
    batchTimeoutMs: 20,
  });
  expectExactlyOnceInOrder(results, inputs);
  results.forEach((r, i) => {
    if (i % 10 === 0) expect(r.error).toMatchObject({ code: 'schema', message: expect.stringContaining('"unsure"') });
    else expect(r.value).toBe(sentimentOf(r.input));
  });
});

it('mlFilter keeps exactly the matching records', async () => {
  // The simulator judges the predicate "is positive" with its own rule.
  sim = await startSimulator({ label: (text) => sentimentOf(text) === 'positive' });
  const inputs = reviews(90);
  const kept = await filterAll(modelAt(sim.url), inputs, { predicate: 'the review is positive', batchSize: 20, batchTimeoutMs: 20 });
  expect(kept.map((r) => r.input)).toEqual(inputs.filter((t) => sentimentOf(t) === 'positive'));
  expect(kept.every((r) => r.value === true)).toBe(true);
  const all = await filterAll(modelAt(sim.url), inputs, { predicate: 'the review is positive', emitAll: true, batchTimeoutMs: 20 });
  expect(all.map((r) => r.value)).toEqual(inputs.map((t) => sentimentOf(t) === 'positive'));
});

describe.each(['json', 'xml', 'delimited'] as const)('responseFormat %s', (responseFormat) => {
  it('round-trips with the same defects handled: every record once, no wrong value', async () => {
    sim = await startSimulator({ seed: 3, defects: { fence: 0.2, prose: 0.2, shuffle: 0.3, missing: 0.15, conflict: 0.1, truncate: 0.1, extra: 0.1 } });
    const inputs = reviews(400);
    const results = await predictAll<string, string>(modelAt(sim.url), inputs, { responseFormat, valueField: 'sentiment', batchSize: 20, concurrency: 4, batchTimeoutMs: 10 });
    expectExactlyOnceInOrder(results, inputs);
    const { right, wrong } = countRight(results);
    expect(wrong).toEqual([]);
    expect(right / inputs.length).toBeGreaterThanOrEqual(0.99);
    expect(sim.stats.chatRequests).toBeLessThan(60);
    expect(Object.values(sim.stats.defects).reduce((a, b) => a + b, 0)).toBeGreaterThan(10);
  });
});

it('votes measurably undo a position-biased model', async () => {
  // Every batch answer gets the record shown first wrong.
  sim = await startSimulator({ seed: 5, defects: { positionBias: 1 } });
  const inputs = reviews(200);
  const once = await predictAll<string, string>(modelAt(sim.url), inputs, { valueField: 'sentiment', batchSize: 10, batchTimeoutMs: 10 });
  const wrongOnce = countRight(once).wrong.length;
  expect(wrongOnce).toBe(20); // the first record of each of the 20 batches
  const voted = await predictAll<string, string>(modelAt(sim.url), inputs, { valueField: 'sentiment', batchSize: 10, batchTimeoutMs: 10, votes: 3 });
  expectExactlyOnceInOrder(voted, inputs);
  // Rotated orders put a different record first in each round: each is wrong at most once, outvoted twice.
  expect(countRight(voted).wrong).toEqual([]);
  expect(sim.stats.defects.positionBias).toBeGreaterThanOrEqual(80);
});
