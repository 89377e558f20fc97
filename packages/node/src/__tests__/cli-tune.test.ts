/**
 * `mlpredict tune` against the simulator with an accuracy that falls with the
 * batch size: the table and the recommendation, JSON output, and the usage
 * errors (a record without its label, bad sizes) before any request.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expectedAccuracy, sentimentOf, startSimulator, type Simulator } from '@mlpredict/testing';
import { runInProcess } from './cli-process';
import { reviews } from './support';

let sim: Simulator;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mlpredict-tune-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));
afterEach(async () => {
  await sim?.close();
});

/** `mlpredict tune …args` in process, against this test's simulator. */
const tune = (args: string[]) => runInProcess(['tune', ...args], { env: { OPENAI_BASE_URL: sim.url, OPENAI_API_KEY: 'k' } });

const labelled = async (records: Array<Record<string, unknown>>) => {
  const path = join(dir, `sample-${Math.random().toString(36).slice(2)}.jsonl`);
  await writeFile(path, records.map((r) => JSON.stringify(r)).join('\n'));
  return path;
};

it('prints accuracy, tokens and time per size and recommends the size the accuracy curve allows', async () => {
  const curve = { atBatchSize1: 0.98, perRecord: 0.004, perPosition: 0.002, floor: 0.5 };
  sim = await startSimulator({ accuracy: curve, seed: 7 });
  const sample = reviews(400).map((text) => ({ text, label: sentimentOf(text) }));
  const file = await labelled(sample);
  const run = await tune([file, '--field', 'text', '--value-field', 'sentiment', '--sizes', '1,10,50', '--tolerance', '0.1']);
  expect(run.stderr).toMatch(/batch size 50: [\d.]+% right/);
  expect(run.code).toBe(0);
  const table = run.stdout.split('\n');
  expect(table[0]).toMatch(/batch size\s+accuracy\s+right\s+wrong\s+errors\s+requests\s+prompt tokens\s+completion tokens\s+time/);
  expect(table.slice(1, 4).map((l) => Number(l.trim().split(/\s+/)[0]))).toEqual([1, 10, 50]);
  // 0.98, ~0.935, ~0.735: within 0.1 of batch 1 is 10.
  expect([1, 10, 50].map((s) => expectedAccuracy(curve, s, sample.length) >= expectedAccuracy(curve, 1, sample.length) - 0.1)).toEqual([true, true, false]);
  expect(run.stdout).toMatch(/Recommended: --max-batch-size 10 \(maxBatchSize: 10\), the largest size within 10\.0 points of batch size 1's/);
  // The label never reaches the model: the server saw the texts only.
  expect(sim.stats.recordsSeen).toBe(3 * sample.length);
});

it('--json prints the whole result', async () => {
  sim = await startSimulator();
  const file = await labelled(reviews(30).map((text) => ({ text, answer: sentimentOf(text) })));
  const run = await tune([file, '--field', 'text', '--value-field', 'sentiment', '--label-field', 'answer', '--sizes', '5,30', '--json']);
  expect(run.code).toBe(0);
  const result = JSON.parse(run.stdout);
  expect(result).toMatchObject({ recommended: 30, tolerance: 0.02, baseline: { batchSize: 5, accuracy: 1 } });
  expect(result.sizes.map((s: { batchSize: number; requests: number }) => [s.batchSize, s.requests])).toEqual([
    [5, 6],
    [30, 1],
  ]);
});

it('refuses a record without its label, and bad sizes, before any request (exit 2)', async () => {
  sim = await startSimulator();
  const file = await labelled([{ text: 'Great phone', label: 'positive' }, { text: 'It broke' }]);
  const missing = await tune([file, '--field', 'text']);
  expect(missing.code).toBe(2);
  expect(missing.stderr).toMatch(/line 2 has no "label" field/);
  const sizes = await tune([file, '--sizes', '1,x']);
  expect(sizes.code).toBe(2);
  expect(sizes.stderr).toMatch(/--sizes: expected batch sizes/);
  const batchSize = await tune([file, '--batch-size', '5']);
  expect(batchSize.code).toBe(2);
  expect(batchSize.stderr).toMatch(/unknown flag --batch-size/);
  expect(sim.stats.chatRequests).toBe(0);
});

it('--help shows tune’s own usage and flags', async () => {
  sim = await startSimulator();
  const run = await tune(['--help']);
  expect(run.code).toBe(0);
  expect(run.stdout).toMatch(/^Usage: mlpredict tune \[FILE\] --label-field NAME/);
  expect(run.stdout).toMatch(/--sizes N,N,…\s+the batch sizes to measure/);
  expect(run.stdout).not.toMatch(/--resume/);
});

it('a wrong key stops tune with the cause and exit 1 instead of measuring every size at 0% and recommending the largest', async () => {
  sim = await startSimulator({ apiKey: 'right' });
  const file = await labelled(reviews(20).map((text) => ({ text, label: sentimentOf(text) })));
  const run = await tune([file, '--field', 'text', '--value-field', 'sentiment', '--sizes', '1,5']);
  expect(run.stderr).toMatch(/401/);
  expect(run.stdout).not.toMatch(/Recommended/);
  expect(run.code).toBe(1);
});
