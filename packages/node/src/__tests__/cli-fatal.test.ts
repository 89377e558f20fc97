/**
 * The built CLI against a setup that cannot work (issue 11, points 7 and 8): a
 * wrong API key, an unknown model, an endpoint that cannot be reached. It stops at
 * once — a handful of requests, not one per batch of 20,000 rows — exits 1 with
 * the cause on stderr in one line, and leaves the output a valid prefix.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startSimulator, type Simulator } from '@mlpredict/testing';
import { buildCli, mlpredict } from './cli-process';

let sim: Simulator;
let dir: string;
let input: string;

beforeAll(async () => {
  await buildCli();
  sim = await startSimulator({ latencyMs: 2, apiKey: 'the-right-key', knownModels: ['gpt-4o-mini'] });
  dir = await mkdtemp(join(tmpdir(), 'mlpredict-fatal-'));
  input = join(dir, 'reviews.jsonl');
  await writeFile(input, Array.from({ length: 20_000 }, (_, i) => JSON.stringify({ id: i, text: `Review ${i}: great` })).join('\n') + '\n');
}, 240_000);
afterAll(async () => {
  await sim?.close();
  await rm(dir, { recursive: true, force: true });
});
beforeEach(() => sim.resetStats());

const args = (output: string, model = 'gpt-4o-mini') => ['-i', input, '-o', output, '-f', 'text', '--value-field', 'sentiment', '-m', model, '--no-progress'];

it('a wrong key: exits 1 at once, the 401 on stderr in one line, a handful of requests, an empty but valid output', async () => {
  const output = join(dir, 'wrong-key.jsonl');
  const run = await mlpredict(args(output), { env: { OPENAI_BASE_URL: sim.url, OPENAI_API_KEY: 'wrong' } });
  expect(run.code).toBe(1);
  const causes = run.stderr.split('\n').filter((line) => /401/.test(line));
  expect(causes).toHaveLength(1);
  expect(causes[0]).toMatch(/Incorrect API key/);
  expect(sim.stats.requests).toBeLessThanOrEqual(8); // 2 × the default concurrency, of 1,000 batches
  expect(await readFile(output, 'utf8')).toBe('');
});

it('an unknown model: exits 1 with the 404 named', async () => {
  const output = join(dir, 'unknown-model.jsonl');
  const run = await mlpredict(args(output, 'gpt-4o-mni'), { env: { OPENAI_BASE_URL: sim.url, OPENAI_API_KEY: 'the-right-key' } });
  expect(run.code).toBe(1);
  expect(run.stderr).toMatch(/404.*gpt-4o-mni.*does not exist/);
  expect(sim.stats.requests).toBeLessThanOrEqual(8);
});

it('an endpoint that cannot be reached: exits 1 naming the address and errno', async () => {
  const port = await freePort();
  const output = join(dir, 'unreachable.jsonl');
  const run = await mlpredict([...args(output), '--retry', '{"strategy":"fixed","baseDelayMs":50,"maxDelayMs":50}'], { env: { OPENAI_BASE_URL: `http://127.0.0.1:${port}/v1`, OPENAI_API_KEY: 'x' } });
  expect(run.code).toBe(1);
  expect(run.stderr).toMatch(new RegExp(`ECONNREFUSED 127\\.0\\.0\\.1:${port}`));
  expect(await readFile(output, 'utf8')).toBe('');
});

