/**
 * Issue 16.4 and 16.5 over real HTTP, through the openai SDK, against the
 * simulator: what a run costs (in stats and in each result's meta, cached prompt
 * tokens included, deferred lines at the Batch API's discount), and budgets
 * that stop sending once spent — checked against what the server counted.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { costOf, MODEL_PRICES, predictAll, predictDeferred, RunStats, type ModelPrice, type PredictResult } from '@mlpredict/core';
import { sentimentOf, startSimulator, type Simulator, type SimulatorOptions } from '@mlpredict/testing';
import { expectExactlyOnceInOrder, modelAt, reviews } from './support';

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

/** The price these tests state for the simulator's model (the table does not know it). */
const price: ModelPrice = { inputPerMillion: 1, cachedInputPerMillion: 0.5, outputPerMillion: 4, batchDiscount: 0.5 };
const options = { batchSize: 20, concurrency: 4, valueField: 'sentiment', instruction: 'Classify the sentiment of each review as positive, negative or neutral.', batchTimeoutMs: 0 };
const counted = (s: Simulator) => ({ promptTokens: s.stats.promptTokens, completionTokens: s.stats.completionTokens, cachedPromptTokens: s.stats.cachedPromptTokens });
const tokensOf = (s: Simulator) => s.stats.promptTokens + s.stats.completionTokens;
/** Real-time and batch lines together. */
const allTokensOf = (s: Simulator) => tokensOf(s) + s.stats.batchPromptTokens + s.stats.batchCompletionTokens;

async function fresh(settings: SimulatorOptions = {}): Promise<Simulator> {
  await sim?.close();
  sim = await startSimulator(settings);
  return sim;
}

/** Right values first, then only `budget` errors: the run stopped sending and nothing else was lost. Returns how many were answered. */
function answeredThenBudget(results: PredictResult<string>[], inputs: string[], message = /^the run's budget is spent/): number {
  expectExactlyOnceInOrder(results, inputs);
  const answered = results.findIndex((r) => !r.ok);
  expect(answered).toBeGreaterThan(0);
  expect(results.slice(0, answered).every((r) => r.ok && r.value === sentimentOf(r.input))).toBe(true);
  expect(results.slice(answered).map((r) => r.error?.code)).toEqual(Array(results.length - answered).fill('budget'));
  for (const r of results.slice(answered)) expect(r.error).toMatchObject({ attempts: 0, message: expect.stringMatching(message) });
  return answered;
}

describe('budgets over HTTP: 2,000 records with about half of what the run needs', () => {
  const inputs = reviews(2000);
  let need: { tokens: number; costUsd: number };

  beforeAll(async () => {
    const server = await startSimulator();
    try {
      const stats = new RunStats();
      const results = await predictAll(modelAt(server.url), inputs, { ...options, price, stats });
      expect(results.every((r) => r.ok)).toBe(true);
      need = { tokens: tokensOf(server), costUsd: stats.snapshot().costUsd! };
      expect(need.costUsd).toBeCloseTo(costOf(counted(server), price), 12);
    } finally {
      await server.close();
    }
  });

  it('budget.maxTokens: the tokens the server counted stay within it (+10%), the rest are budget errors, in order, nothing else lost', async () => {
    const server = await fresh();
    const maxTokens = Math.round(need.tokens / 2);
    const stats = new RunStats();
    const results = await predictAll<string, string>(modelAt(server.url), inputs, { ...options, budget: { maxTokens }, stats });

    expect(tokensOf(server)).toBeLessThanOrEqual(maxTokens * 1.1);
    expect(tokensOf(server)).toBeGreaterThan(maxTokens * 0.85); // spent, not refused early
    const answered = answeredThenBudget(results, inputs);
    expect(answered).toBe(server.stats.recordsSeen);
    expect(answered / inputs.length).toBeGreaterThan(0.4);
    expect(answered / inputs.length).toBeLessThan(0.55);
    expect(stats.snapshot().errorsByCode).toEqual({ budget: inputs.length - answered });
    expect(stats.snapshot().promptTokens + stats.snapshot().completionTokens).toBe(tokensOf(server));
  });

  it('budget.maxCostUsd at a stated price: what the server counted costs at most the budget (+10%), the rest are budget errors', async () => {
    const server = await fresh();
    const maxCostUsd = need.costUsd / 2;
    const stats = new RunStats();
    const results = await predictAll<string, string>(modelAt(server.url), inputs, { ...options, price, budget: { maxCostUsd }, stats });

    const spent = costOf(counted(server), price);
    expect(spent).toBeLessThanOrEqual(maxCostUsd * 1.1);
    expect(spent).toBeGreaterThan(maxCostUsd * 0.85);
    expect(stats.snapshot().costUsd).toBeCloseTo(spent, 12);
    answeredThenBudget(results, inputs);
  });
});

describe('cost in stats and meta', () => {
  it('a model the price table knows: stats.costUsd is what the server counted at its list price, and the records\' shares add up to it', async () => {
    const server = await fresh();
    const stats = new RunStats();
    const results = await predictAll(modelAt(server.url, { model: 'gpt-4o-mini' }), reviews(300), { ...options, stats });
    const list = MODEL_PRICES['gpt-4o-mini']!;
    expect(list).toEqual({ inputPerMillion: 0.15, cachedInputPerMillion: 0.075, outputPerMillion: 0.6, batchDiscount: 0.5 });
    const snapshot = stats.snapshot();
    expect(snapshot.costUsd).toBeCloseTo(costOf(counted(server), list), 12);
    expect(snapshot.costUsd).toBeGreaterThan(0);
    const shares = results.reduce((sum, r) => sum + r.meta.costUsd!, 0);
    expect(shares).toBeCloseTo(snapshot.costUsd!, 12);
    for (const r of results) expect(r.meta.costUsd).toBeCloseTo(costOf(r.meta.usage!, list), 15);
  });

  it('cached prompt tokens are counted and billed at the cached price; the default template puts the stable part first, so they occur', async () => {
    const cache = { promptCache: { minTokens: 64, blockTokens: 16 } };
    const long = { ...options, concurrency: 1, instruction: `${options.instruction} ${'Answer with one word per review; mixed reviews are neutral. '.repeat(6)}` };
    const server = await fresh(cache);
    const stats = new RunStats();
    const results = await predictAll(modelAt(server.url), reviews(200), { ...long, price, stats });

    const snapshot = stats.snapshot();
    expect(server.stats.cachedPromptTokens).toBeGreaterThan(0);
    expect(snapshot.cachedPromptTokens).toBe(server.stats.cachedPromptTokens);
    expect(snapshot.costUsd).toBeCloseTo(costOf(counted(server), price), 12);
    expect(snapshot.costUsd).toBeLessThan(costOf({ ...counted(server), cachedPromptTokens: 0 }, price));
    // Every request after the first found the system prompt and instruction cached.
    expect(results.filter((r) => (r.meta.usage?.cachedPromptTokens ?? 0) > 0)).toHaveLength(200 - 20);

    // The same run with the records before the instruction: no two prompts start alike, nothing is cached.
    const recordsFirst = await fresh(cache);
    await predictAll(modelAt(recordsFirst.url), reviews(200), { ...long, promptTemplate: '{{#records}}Input {{index}}: {{textJson}}\n{{/records}}\n{{instruction}}\nReturn [{"index": n, "sentiment": "..."}]' });
    expect(recordsFirst.stats.cachedPromptTokens).toBe(0);
  });
});

describe('deferred runs: priced at the Batch API discount, and within a budget', () => {
  let jobDir: string;
  beforeEach(async () => {
    jobDir = await mkdtemp(join(tmpdir(), 'mlpredict-cost-'));
  });
  afterEach(() => rm(jobDir, { recursive: true, force: true }));

  it('each line and each record\'s share cost half the list price for what the server counted', async () => {
    const server = await fresh();
    const stats = new RunStats();
    const results = await predictDeferred(modelAt(server.url), reviews(400), { ...options, price, stats, jobDir, pollIntervalMs: 5 });
    const batch = { promptTokens: server.stats.batchPromptTokens, completionTokens: server.stats.batchCompletionTokens };
    expect(server.stats.chatRequests).toBe(0);
    expect(stats.snapshot().costUsd).toBeCloseTo(costOf(batch, price, { batch: true }), 12);
    expect(stats.snapshot().costUsd).toBeCloseTo(costOf(batch, price) / 2, 12);
    for (const r of results) expect(r.meta.costUsd).toBeCloseTo(costOf(r.meta.usage!, price, { batch: true }), 15);
  });

  it('a budget covering part of the job: the job holds only the lines it covers, the rest get the budget error, resumed alike', async () => {
    const inputs = reviews(1000);
    const server = await fresh();
    await predictDeferred(modelAt(server.url), inputs, { ...options, jobDir: join(jobDir, 'whole'), pollIntervalMs: 5 });
    const whole = server.stats.batchPromptTokens + server.stats.batchCompletionTokens;

    const budgeted = await fresh();
    const maxTokens = Math.round(whole / 2);
    const dir = join(jobDir, 'half');
    const run = () => predictDeferred<string, string>(modelAt(budgeted.url), inputs, { ...options, maxTokens: 320, budget: { maxTokens }, jobDir: dir, pollIntervalMs: 5 });
    const results = await run();
    const spent = budgeted.stats.batchPromptTokens + budgeted.stats.batchCompletionTokens;
    expect(spent).toBeLessThanOrEqual(maxTokens);
    expect(spent).toBeGreaterThan(maxTokens * 0.5); // answers are guessed high before any came back: the plan errs low
    const answered = answeredThenBudget(results, inputs, new RegExp(`^the run's budget \\(maxTokens ${maxTokens}\\) does not cover this record's request`));
    expect(answered).toBe(budgeted.stats.batchLinesAnswered * 20);
    expect(budgeted.stats.chatRequests).toBe(0);
    const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
    expect(manifest.rounds[0].overBudget).toMatchObject({ records: inputs.length - answered });
    expect(results[answered]!.error!.message).toMatch(new RegExp(`^the run's budget \\(maxTokens ${maxTokens}\\) does not cover this record's request: the first ${answered / 20} of 50 requests of the job`));

    // Run again on the folder: the stored results, nothing sent.
    const again = await run();
    expect(again.map((r) => r.value ?? r.error!.code)).toEqual(results.map((r) => r.value ?? r.error!.code));
    expect(budgeted.stats.batchesCreated).toBe(1);
  });

  it("a budget covering part of the job still repairs the planned lines that failed, in real time, with what is left (and never over it)", async () => {
    const inputs = reviews(1000);
    const whole = await fresh({ seed: 3, batch: { failedLineRate: 0.2 } });
    await predictDeferred(modelAt(whole.url), inputs, { ...options, jobDir: join(jobDir, 'whole'), pollIntervalMs: 5 });
    const maxTokens = Math.round(allTokensOf(whole) / 2);

    const server = await fresh({ seed: 3, batch: { failedLineRate: 0.2 } });
    const dir = join(jobDir, 'half');
    const results = await predictDeferred<string, string>(modelAt(server.url), inputs, { ...options, maxTokens: 320, budget: { maxTokens }, jobDir: dir, pollIntervalMs: 5 });
    expectExactlyOnceInOrder(results, inputs);
    expect(allTokensOf(server)).toBeLessThanOrEqual(maxTokens * 1.1);
    expect(server.stats.batchLinesFailed).toBeGreaterThan(0);
    expect(server.stats.chatRequests).toBeGreaterThan(0); // the failed lines' records were asked again
    // Every record the job planned is answered, right; only the records left out of the job get `budget`.
    const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
    const planned = inputs.length - manifest.rounds[0].overBudget.records;
    expect(results.slice(0, planned).filter((r) => !(r.ok && r.value === sentimentOf(r.input)))).toEqual([]);
    for (const r of results.slice(planned)) expect(r.error).toMatchObject({ code: 'budget', message: expect.stringMatching(/does not cover this record's request/) });
  });

  it("repair: 'deferred' with a budget covering part of the job: the failed lines go into follow-up jobs with what is left, and what it can't cover gets the budget error, not its line's error 'after 3 follow-up jobs'", async () => {
    const inputs = reviews(1000);
    const server = await fresh({ seed: 5, batch: { failedLineRate: 0.3 } });
    const results = await predictDeferred<string, string>(modelAt(server.url), inputs, { ...options, maxTokens: 320, budget: { maxTokens: 12_000 }, repair: 'deferred', jobDir, pollIntervalMs: 5 });
    expectExactlyOnceInOrder(results, inputs);
    expect(server.stats.batchLinesFailed).toBeGreaterThan(0);
    expect(server.stats.batchesCreated).toBeGreaterThan(1); // the job's lines left room for follow-up jobs
    expect(server.stats.chatRequests).toBe(0);
    expect(allTokensOf(server)).toBeLessThanOrEqual(12_000 * 1.1);
    expect(results.filter((r) => r.ok && r.value !== sentimentOf(r.input))).toEqual([]);
    const failed = results.filter((r) => !r.ok);
    expect(new Set(failed.map((r) => r.error!.code))).toEqual(new Set(['budget']));
    expect(failed.filter((r) => /follow-up jobs/.test(r.error!.message))).toEqual([]);
    // Some failed lines' records were answered by a follow-up job: sent twice or more, and right.
    expect(results.filter((r) => r.ok && r.meta.attempts > 1).length).toBeGreaterThan(0);
  });
});
