/**
 * Issue 16: predictDeferred over real HTTP, through the openai SDK, against the
 * simulator's Batch API (/v1/files, /v1/batches).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { predictDeferred } from '@mlpredict/core';
import { startSimulator, type Simulator } from '@mlpredict/testing';
import { countRight, expectExactlyOnceInOrder, modelAt, reviews } from './support';

let sim: Simulator;
let jobDir: string;
beforeEach(async () => {
  jobDir = await mkdtemp(join(tmpdir(), 'mlpredict-deferred-'));
});
afterEach(async () => {
  await sim?.close();
  await rm(jobDir, { recursive: true, force: true });
});

const options = { batchSize: 20, valueField: 'sentiment', pollIntervalMs: 5 };

it('1,000 records at batch 20 with 5% of the lines failed → 1,000 right, in order; real time only for the failed lines', async () => {
  sim = await startSimulator({ batch: { failedLineRate: 0.05 } });
  const inputs = reviews(1000);
  const results = await predictDeferred<string, string>(modelAt(sim.url), inputs, { ...options, jobDir });
  expectExactlyOnceInOrder(results, inputs);
  const { right, wrong } = countRight(results);
  expect(wrong).toEqual([]);
  expect(right).toBe(1000);
  const failedLines = sim.stats.batchLinesFailed;
  expect(failedLines).toBeGreaterThan(0);
  expect(sim.stats.batchesCreated).toBe(1);
  expect(sim.stats.chatRequests).toBe(failedLines);
  expect(sim.stats.recordsSeen).toBe(failedLines * 20);
  console.log(sim.stats);
});
