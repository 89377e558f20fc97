/**
 * `mlpredict --deferred` stopped and continued, end to end: the built CLI in a
 * child process, a real SIGKILL or SIGINT while the batch job runs, the
 * simulator's Batch API over HTTP. The same command with `--resume` picks the
 * job up: no second job, every row answered once, in order.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sentimentOf, startSimulator, type Simulator } from '@mlpredict/testing';
import { buildCli, jsonLines, mlpredict, startCli } from './cli-process';
import { reviews, waitFor } from './support';

const ROWS = 1000;

describe('mlpredict --deferred, killed or interrupted, then --resume (the built CLI)', () => {
  let sim: Simulator;
  let dir: string;
  let env: Record<string, string>;
  let input: string;
  let output: string;
  const texts = reviews(ROWS);

  beforeAll(buildCli, 240_000);
  beforeEach(async () => {
    // The job takes a few seconds to run: long enough to be stopped halfway.
    sim = await startSimulator({ batch: { completionDelayMs: 3000 } });
    dir = await mkdtemp(join(tmpdir(), 'mlpredict-deferred-cli-'));
    env = { OPENAI_BASE_URL: sim.url, OPENAI_API_KEY: 'test-key' };
    input = join(dir, 'reviews.jsonl');
    output = join(dir, 'sentiments.jsonl');
    await writeFile(input, texts.map((text, id) => JSON.stringify({ id, text })).join('\n') + '\n');
  });
  afterEach(async () => {
    await sim.close();
    await rm(dir, { recursive: true, force: true });
  });

  const flags = (...more: string[]) => [input, '-o', output, '-f', 'text', '--value-field', 'sentiment', '--instruction', 'Classify the sentiment of each review.', '-b', '20', '--deferred', '--job-dir', join(dir, 'job'), '--poll-interval-ms', '20', ...more];

  async function expectAllRows(): Promise<void> {
    const rows = jsonLines(await readFile(output, 'utf8'));
    expect(rows).toEqual(texts.map((text, id) => ({ input: { id, text }, value: sentimentOf(text) })));
  }

  it('SIGKILL while the job runs: --resume finds the same job, creates no second one, and writes every row', async () => {
    const run = startCli(flags(), { env });
    await waitFor(() => sim.stats.batchesCreated === 1 && sim.stats.batchLinesAnswered > 0, 'the job to be running');
    run.child.kill('SIGKILL');
    const killed = await run.done;
    expect(killed.signal).toBe('SIGKILL');
    expect(sim.stats.batchLinesAnswered).toBeLessThan(50);
    await expect(readFile(output, 'utf8')).rejects.toThrow(/ENOENT/); // nothing is written before the job is done

    const again = await mlpredict(flags(), { env });
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('already holds a deferred job (step: created); add --resume to continue it');

    const resumed = await mlpredict(flags('--resume'), { env });
    expect(resumed.code).toBe(0);
    expect(sim.stats.filesUploaded).toBe(1);
    expect(sim.stats.batchesCreated).toBe(1);
    expect(sim.stats.chatRequests).toBe(0);
    expect(resumed.stderr).toMatch(/mlpredict: 1000 rows, 0 errors, 50 requests/);
    await expectAllRows();
  });

  it('Ctrl-C stops waiting but leaves the job running at the provider; --resume collects it', async () => {
    const run = startCli(flags(), { env });
    await waitFor(() => sim.stats.batchesCreated === 1, 'the job to be created');
    run.child.kill('SIGINT');
    const interrupted = await run.done;
    expect(interrupted.code).toBe(130);
    expect(interrupted.stderr).toContain('mlpredict: interrupted (SIGINT): no rows written; the batch job keeps running at the provider; rerun the same command with --resume to collect it');
    expect(sim.stats.batchesCancelled).toBe(0);

    const resumed = await mlpredict(flags('--resume'), { env });
    expect(resumed.code).toBe(0);
    expect(sim.stats.batchesCreated).toBe(1);
    expect(sim.stats.batchLinesCancelled).toBe(0);
    await expectAllRows();
  });
});
