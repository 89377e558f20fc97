/**
 * Issue 16 in the CLI, in process against the simulator: `--max-cost` and
 * `--max-tokens-total` (the output stops at the first row the budget kept back,
 * and `--resume` with a new budget sends exactly the rest), the dry run's
 * budget line, and `--deferred --job-dir` (a job folder continued only with
 * `--resume`, never submitted twice).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { costOf, MODEL_PRICES } from '@mlpredict/core';
import { sentimentOf, startSimulator, type Simulator } from '@mlpredict/testing';
import { jsonLines, runInProcess } from './cli-process';
import { reviews } from './support';

const ROWS = 400;
const list = MODEL_PRICES['gpt-4o-mini']!;

describe('mlpredict budgets and --deferred', () => {
  let sim: Simulator;
  let dir: string;
  let env: Record<string, string>;
  let input: string;
  const texts = reviews(ROWS);
  beforeEach(async () => {
    sim = await startSimulator({ batch: { completionDelayMs: 20 } });
    env = { OPENAI_BASE_URL: sim.url, OPENAI_API_KEY: 'k' };
    dir = await mkdtemp(join(tmpdir(), 'mlpredict-cost-'));
    input = join(dir, 'reviews.jsonl');
    await writeFile(input, texts.map((text, id) => JSON.stringify({ id, text })).join('\n') + '\n');
  });
  afterEach(async () => {
    await sim.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** gpt-4o-mini (the default model) at its list price, batches of 20, two at a time. */
  const flags = (output: string, ...more: string[]) => [input, '-o', output, '-f', 'text', '--value-field', 'sentiment', '--instruction', 'Classify the sentiment of each review.', '-b', '20', '-c', '2', '--batch-timeout-ms', '0', '--no-progress', ...more];
  const serverCost = () => costOf({ promptTokens: sim.stats.promptTokens, completionTokens: sim.stats.completionTokens }, list);
  const expectRight = (rows: Array<Record<string, any>>, from = 0) => rows.forEach((row, i) => expect(row).toEqual({ input: { id: from + i, text: texts[from + i] }, value: sentimentOf(texts[from + i]!) }));

  it('--max-cost: the server\'s count stays within it (+10%); the output ends before the first row it kept back; --resume with a new budget sends exactly the rest', async () => {
    const probe = await runInProcess(flags(join(dir, 'probe.jsonl')), { env });
    expect(probe.code).toBe(0);
    const need = serverCost();
    sim.resetStats();

    const output = join(dir, 'out.jsonl');
    const maxCost = need / 2;
    const first = await runInProcess(flags(output, '--max-cost', String(maxCost)), { env });
    expect(first.code).toBe(1);
    const done = Number(new RegExp(`budget spent after (\\d+) of ${ROWS} rows: the run's budget is spent \\(\\$[\\d.e-]+ of \\$${maxCost} used; the next request needed about \\d+ tokens \\(\\$[\\d.e-]+\\)\\); nothing more was sent; rerun with --resume \\(and a new --max-cost or --max-tokens-total\\) to continue`).exec(first.stderr)?.[1]);
    expect(done).toBeGreaterThan(ROWS * 0.4);
    expect(done).toBeLessThan(ROWS * 0.6);
    expect(serverCost()).toBeLessThanOrEqual(maxCost * 1.1);
    const rows = jsonLines(await readFile(output, 'utf8'));
    expect(rows).toHaveLength(done);
    expectRight(rows);

    sim.resetStats();
    const second = await runInProcess(flags(output, '--resume', '--max-cost', String(need)), { env });
    expect(second.code).toBe(0);
    expect(second.stderr).toContain(`mlpredict: ${ROWS} rows (${done} from an earlier run), 0 errors`);
    expectRight(jsonLines(await readFile(output, 'utf8')));
    expect(sim.stats.recordsSeen).toBe(ROWS - done);
  });

  it('--max-tokens-total counts prompt and completion tokens as the server does', async () => {
    const output = join(dir, 'out.jsonl');
    const run = await runInProcess(flags(output, '--max-tokens-total', '3000'), { env });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/budget spent after \d+ of 400 rows: the run's budget is spent \(\d+ of 3000 tokens used/);
    expect(sim.stats.promptTokens + sim.stats.completionTokens).toBeLessThanOrEqual(3300);
    expect(sim.stats.promptTokens + sim.stats.completionTokens).toBeGreaterThan(2500);
  });

  it('refuses a budget it cannot keep or read, before anything is sent', async () => {
    const unknown = await runInProcess(flags(join(dir, 'o.jsonl'), '-m', 'my-model', '--max-cost', '1'), { env });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('--max-cost needs a price: the price table does not know the model "my-model"; give --price-input and --price-output');
    const bad = await runInProcess(flags(join(dir, 'o.jsonl'), '--max-cost', 'lots'), { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--max-cost: expected USD (a number > 0), got "lots"');
    expect((await runInProcess(flags(join(dir, 'o.jsonl'), '--max-tokens-total', '1.5'), { env })).stderr).toContain('--max-tokens-total: expected a whole number of tokens ≥ 1');
    expect(sim.stats.requests).toBe(0);
  });

  it('--dry-run says how far a budget reaches, in real time and deferred', async () => {
    const run = await runInProcess(flags(join(dir, 'o.jsonl'), '-n', '--max-cost', '0.001'), { env });
    expect(run.code).toBe(0);
    const [, realTime, deferred] = /Budget: --max-cost \$0\.001 reaches ≈ (\d+) of 400 records in real time and ≈ (\d+) deferred; the rest would get the "budget" error\./.exec(run.stdout)!.map(Number);
    expect(realTime).toBeGreaterThan(0);
    expect(realTime).toBeLessThan(400);
    expect(realTime! % 20).toBe(0);
    // Half the price reaches about twice the records.
    expect(deferred).toBeGreaterThanOrEqual(realTime! * 2 - 20);
    expect(deferred).toBeLessThanOrEqual(realTime! * 2 + 20);
    expect(sim.stats.requests).toBe(0);
  });

  it('--deferred --job-dir: one batch job, every row right and in order, bad rows in place; the folder is continued only with --resume, never resubmitted', async () => {
    await writeFile(input, texts.map((text, id) => (id === 7 ? '{"id": 7, oops' : JSON.stringify({ id, text }))).join('\n') + '\n');
    sim.configure({ batch: { completionDelayMs: 400 } }); // long enough for polls to see the job in progress
    const output = join(dir, 'out.jsonl');
    const job = join(dir, 'job');
    const run = await runInProcess([...flags(output, '--deferred', '--job-dir', job, '--poll-interval-ms', '5'), '--progress'], { env });
    expect(run.code).toBe(0);
    expect(sim.stats.batchesCreated).toBe(1);
    expect(sim.stats.chatRequests).toBe(0);
    const rows = jsonLines(await readFile(output, 'utf8'));
    expect(rows).toHaveLength(ROWS);
    expect(rows[7]).toEqual({ input: '{"id": 7, oops', error: expect.objectContaining({ code: 'bad_input' }) });
    rows.forEach((row, i) => i !== 7 && expect(row).toEqual({ input: { id: i, text: texts[i] }, value: sentimentOf(texts[i]!) }));
    // Progress: the plan, the job as it moves, the download; the summary prices the lines at the Batch API's half.
    expect(run.stderr).toMatch(/mlpredict: planned 399 records into 1 batch job\n/);
    expect(run.stderr).toMatch(/mlpredict: job 1\/1 submitted \(batch_\w+, validating\)\n/);
    expect(run.stderr).toMatch(/mlpredict: job 1\/1 in_progress: \d+\/20 requests done\n/);
    expect(run.stderr).toMatch(/mlpredict: job 1\/1 completed: answers downloaded\n/);
    const [, tokens, prompt, completion, usd] = /mlpredict: 400 rows, 1 error \(bad_input 1\), 20 requests, (\d+) tokens \((\d+) prompt, (\d+) completion\), \$([\d.]+) \(gpt-4o-mini list price\)/.exec(run.stderr)!;
    expect(Number(prompt)).toBe(sim.stats.batchPromptTokens);
    expect(Number(completion)).toBe(sim.stats.batchCompletionTokens);
    expect(Number(tokens)).toBe(Number(prompt) + Number(completion));
    expect(Number(usd)).toBeCloseTo(Number(costOf({ promptTokens: Number(prompt), completionTokens: Number(completion) }, list, { batch: true }).toPrecision(2)), 10);

    const again = await runInProcess(flags(output, '--deferred', '--job-dir', job), { env });
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(`--job-dir "${job}" already holds a deferred job (step: repaired); add --resume to continue it (it is never submitted twice), or give a new --job-dir`);
    // Other records on the same folder: refused as a usage mistake (exit 2, as a refused --resume of a real-time run), nothing sent.
    await writeFile(input, texts.slice(1).map((text, id) => JSON.stringify({ id, text })).join('\n') + '\n');
    const other = await runInProcess(flags(output, '--deferred', '--job-dir', job, '--resume'), { env });
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/holds a job made for other records or options: the records differ/);
    expect(other.stderr).not.toMatch(/once that is fixed/);
    expect(sim.stats.batchesCreated).toBe(1);
    await writeFile(input, texts.map((text, id) => (id === 7 ? '{"id": 7, oops' : JSON.stringify({ id, text }))).join('\n') + '\n');
    await rm(output);
    const resumed = await runInProcess(flags(output, '--deferred', '--job-dir', job, '--resume'), { env });
    expect(resumed.code).toBe(0);
    expect(jsonLines(await readFile(output, 'utf8'))).toEqual(rows);
    expect(sim.stats.batchesCreated).toBe(1);
  });

  it('--deferred with --max-cost: the job holds the lines the budget covers at the Batch API price; the other rows carry the budget error', async () => {
    const output = join(dir, 'out.jsonl');
    const unbounded = await runInProcess(flags(output, '--deferred', '--job-dir', join(dir, 'job'), '--poll-interval-ms', '5', '--max-cost', '0.001'), { env });
    expect(unbounded.code).toBe(2);
    expect(unbounded.stderr).toContain('--max-cost with --deferred needs --max-tokens N (the most completion tokens a request may use)');
    expect(sim.stats.batchesCreated).toBe(0);
    const run = await runInProcess(flags(output, '--deferred', '--job-dir', join(dir, 'job2'), '--poll-interval-ms', '5', '--max-cost', '0.001', '--max-tokens', '320'), { env });
    expect(run.code).toBe(0);
    const rows = jsonLines(await readFile(output, 'utf8'));
    const answered = rows.findIndex((row) => 'error' in row);
    expect(answered).toBeGreaterThan(0);
    expect(answered).toBe(sim.stats.batchLinesAnswered * 20);
    expect(rows.slice(answered).every((row) => row.error?.code === 'budget')).toBe(true);
    expect(run.stderr).toContain(`mlpredict: the budget did not cover ${ROWS - answered} rows: they were not sent and have the "budget" error`);
    expect(costOf({ promptTokens: sim.stats.batchPromptTokens, completionTokens: sim.stats.batchCompletionTokens }, list, { batch: true })).toBeLessThanOrEqual(0.001);
  });

  it('--deferred refuses what a job cannot do, and its flags without it, naming the flag', async () => {
    const out = join(dir, 'o.jsonl');
    const noDir = await runInProcess(flags(out, '--deferred'), { env });
    expect(noDir.code).toBe(2);
    expect(noDir.stderr).toContain('--deferred needs --job-dir DIR');
    const stray = await runInProcess(flags(out, '--job-dir', join(dir, 'job')), { env });
    expect(stray.stderr).toContain('--job-dir is for --deferred runs');
    const votes = await runInProcess(flags(out, '--deferred', '--job-dir', join(dir, 'job'), '--votes', '3'), { env });
    expect(votes.code).toBe(2);
    expect(votes.stderr).toContain('--deferred: --votes is not supported: a job sends each batch once');
    expect(sim.stats.requests).toBe(0);
  });
});
