/**
 * Record / replay over real HTTP: a run through the openai SDK against the
 * simulator is recorded to a cassette, the simulator is shut down, and the same
 * pipeline replays from the file alone, however its batches form.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Subject, lastValueFrom, toArray } from 'rxjs';
import { mlPredict, openAIModel, predictAll, type PredictResult } from '@mlpredict/core';
import { startSimulator, type Simulator } from '@mlpredict/testing';
import { withCassette } from '../packages/testing/src/cassette/with-cassette';
import { countRight, expectExactlyOnceInOrder, reviews, sleep } from './support';

const API_KEY = 'sk-secret-test';
const options = { batchSize: 8, concurrency: 3, batchTimeoutMs: 20, valueField: 'sentiment', instruction: 'Classify the sentiment of each review.' };

let dir: string;
let cassette: string;
let sim: Simulator | undefined;
const cassetteEnv = process.env.MLPREDICT_CASSETTE;
beforeAll(() => {
  // These tests choose their modes; a developer's MLPREDICT_CASSETTE must not override them.
  delete process.env.MLPREDICT_CASSETTE;
});
afterAll(() => {
  if (cassetteEnv !== undefined) process.env.MLPREDICT_CASSETTE = cassetteEnv;
});
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'replay-'));
  cassette = join(dir, 'cassettes', 'reviews.json');
});
afterEach(async () => {
  await sim?.close();
  sim = undefined;
  rmSync(dir, { recursive: true, force: true });
});

const modelAt = (url: string) => openAIModel({ model: 'sim', baseURL: url, apiKey: API_KEY });

/**
 * Records `inputs` through the simulator (some answers fenced, shuffled, wrapped or
 * missing records, so repair requests are recorded too), then closes it. One
 * request at a time, so the seeded defects fall the same way on every run.
 */
async function recordRun(inputs: string[]): Promise<{ recorded: PredictResult<string, string>[]; url: string }> {
  sim = await startSimulator({ apiKey: API_KEY, latencyMs: [1, 4], seed: 11, defects: { fence: 0.2, shuffle: 0.3, wrapObject: 0.2, stringIndex: 0.2, missing: 0.15 } });
  const recorder = withCassette(modelAt(sim.url), { path: cassette, mode: 'record' });
  const recorded = await predictAll<string, string>(recorder, inputs, { ...options, concurrency: 1 });
  await recorder.save();
  expect(sim.stats.chatRequests).toBeGreaterThanOrEqual(inputs.length / options.batchSize);
  expect(recorder.stats.modelCalls).toBe(sim.stats.chatRequests);
  const url = sim.url;
  await sim.close();
  sim = undefined;
  return { recorded, url };
}

it('replays a recorded run with the simulator shut down: identical values, in order, no request', async () => {
  const inputs = reviews(60);
  const { recorded, url } = await recordRun(inputs);
  expectExactlyOnceInOrder(recorded, inputs);
  expect(countRight(recorded).right).toBe(60);
  // Some records were left out of an answer and asked again: their answers came from repair requests.
  expect(recorded.filter((r) => r.meta.repairs > 0).length).toBeGreaterThan(0);

  // The simulator is gone: any request would fail with a connection error.
  await expect(fetch(`${url}/models`)).rejects.toThrow();
  const replay = withCassette(modelAt(url), { path: cassette, mode: 'replay' });
  const replayed = await predictAll<string, string>(replay, inputs, options);
  expectExactlyOnceInOrder(replayed, inputs);
  expect(replayed.map((r) => r.value)).toEqual(recorded.map((r) => r.value));
  expect(replayed.filter((r) => r.error)).toEqual([]);
  expect(replay.stats).toMatchObject({ modelCalls: 0, replayed: 60 });
});

it('replays when batches form differently: other batchSize, batchTimeoutMs, concurrency, a trickling source', async () => {
  const inputs = reviews(45);
  const { recorded, url } = await recordRun(inputs);
  const expected = recorded.map((r) => r.value);

  for (const variant of [
    { batchSize: 5, concurrency: 1, batchTimeoutMs: 1 },
    { batchSize: 13, concurrency: 6, batchTimeoutMs: 200 },
    { batchSize: 1, concurrency: 8 },
    { batchSize: 45, ordered: false },
  ]) {
    const replay = withCassette(modelAt(url), { path: cassette, mode: 'replay' });
    const replayed = await predictAll<string, string>(replay, inputs, { ...options, ...variant });
    const bySeq = [...replayed].sort((a, b) => a.seq - b.seq);
    expect(bySeq.map((r) => r.value)).toEqual(expected);
    expect(replay.stats.modelCalls).toBe(0);
  }

  // Records arriving a few at a time: the timeout flushes odd-sized batches.
  const replay = withCassette(modelAt(url), { path: cassette, mode: 'replay' });
  const source = new Subject<string>();
  const out = lastValueFrom(source.pipe(mlPredict<string, string>(replay, { ...options, batchSize: 10, batchTimeoutMs: 3 }), toArray()));
  for (const [i, input] of inputs.entries()) {
    source.next(input);
    if (i % 4 === 3) await sleep(8);
  }
  source.complete();
  const trickled = await out;
  expectExactlyOnceInOrder(trickled, inputs);
  expect(trickled.map((r) => r.value)).toEqual(expected);
});

it('the cassette holds the answers and no API key', async () => {
  await recordRun(reviews(20));
  const text = readFileSync(cassette, 'utf8');
  expect(text).not.toContain('sk-secret');
  expect(text).not.toMatch(/authorization|bearer/i);
  expect(text).toContain('Review 0: great.');
  const data = JSON.parse(text);
  expect(data.version).toBe(1);
  const contexts = Object.values(data.batches) as Array<{ records: Record<string, { item: { sentiment: string } }> }>;
  expect(contexts).toHaveLength(1);
  expect(Object.keys(contexts[0]!.records)).toHaveLength(20);
});

it('an unrecorded record in replay mode fails with an error naming it; the recorded ones replay', async () => {
  const inputs = reviews(16);
  const { recorded, url } = await recordRun(inputs);
  const replay = withCassette(modelAt(url), { path: cassette, mode: 'replay' });
  const withNew = [...inputs.slice(0, 5), 'A review nobody recorded', ...inputs.slice(5)];
  const replayed = await predictAll<string, string>(replay, withNew, options);
  expectExactlyOnceInOrder(replayed, withNew);
  const failed = replayed.filter((r) => r.error);
  expect(failed.map((r) => r.input)).toEqual(['A review nobody recorded']);
  expect(failed[0]!.error!.message).toMatch(/no recorded answer in .*reviews\.json/);
  expect(failed[0]!.error!.message).toContain('"A review nobody recorded"');
  expect(failed[0]!.error!.message).toContain("mode: 'auto'");
  expect(failed[0]!.error!.message).toContain('MLPREDICT_CASSETTE=record');
  expect(replayed.filter((r) => !r.error).map((r) => r.value)).toEqual(recorded.map((r) => r.value));
  expect(replay.stats.modelCalls).toBe(0);
});
