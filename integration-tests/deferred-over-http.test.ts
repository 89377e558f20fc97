/**
 * Issue 16: predictDeferred over real HTTP, through the openai SDK, against the
 * simulator's Batch API (/v1/files, /v1/batches). Jobs run on the simulator's
 * clock, so a test steps a job through its statuses without waiting.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { DeferredJobError, PredictError, predictAll, predictDeferred, withDefaults, type DeferredStatus, type Model, type PredictResult } from '@mlpredict/core';
import { sentimentOf, startSimulator, type Simulator } from '@mlpredict/testing';
import { countRight, expectExactlyOnceInOrder, modelAt, reviews, sleep } from './support';

let sim: Simulator | undefined;
let jobDir: string;
beforeEach(async () => {
  jobDir = await mkdtemp(join(tmpdir(), 'mlpredict-deferred-'));
});
afterEach(async () => {
  await sim?.close();
  sim = undefined;
  await rm(jobDir, { recursive: true, force: true });
});

const options = { batchSize: 20, valueField: 'sentiment', pollIntervalMs: 5 };
const readManifest = async (dir = jobDir) => JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
const readJsonl = async (file: string) =>
  (await readFile(join(jobDir, file), 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));

/** Every record of the given batches (by `meta.batchId`) and no other needed a repair. */
function repairedBatches(results: PredictResult<string>[]): Set<number> {
  const batches = new Set(results.filter((r) => r.meta.repairs > 0).map((r) => r.meta.batchId));
  for (const r of results) expect(r.meta.repairs > 0).toBe(batches.has(r.meta.batchId));
  return batches;
}

it('1,000 records at batch 20 with 5% of the lines failed → 1,000 right, in order; real-time requests only for the failed lines', async () => {
  sim = await startSimulator({ batch: { failedLineRate: 0.05 } });
  const inputs = reviews(1000);
  const results = await predictDeferred<string, string>(modelAt(sim.url), inputs, { ...options, jobDir });

  expectExactlyOnceInOrder(results, inputs);
  const { right, wrong } = countRight(results);
  expect(wrong).toEqual([]);
  expect(right).toBe(1000);
  expect(sim.stats.filesUploaded).toBe(1);
  expect(sim.stats.batchesCreated).toBe(1);
  const failedLines = sim.stats.batchLinesFailed;
  expect(failedLines).toBeGreaterThanOrEqual(2);
  expect(sim.stats.batchLinesAnswered + failedLines).toBe(50);
  // The failed lines' records, and only those, were asked again: one real-time request per failed line.
  expect(sim.stats.chatRequests).toBe(failedLines);
  expect(sim.stats.recordsSeen).toBe(failedLines * 20);
  expect(repairedBatches(results).size).toBe(failedLines);
  for (const r of results) expect(r.meta.attempts).toBe(r.meta.repairs > 0 ? 2 : 1);
  // The folder says it is done, and holds what was sent and what came back.
  expect((await readManifest()).step).toBe('repaired');
  const lines = await readJsonl('round-0.requests.jsonl');
  expect(lines.map((l) => l.custom_id)).toEqual(Array.from({ length: 50 }, (_, i) => `batch-${i}`));
});

it('sends the same prompts mlPredict sends, and reads them to the same values and errors (valueSchema, structured output)', async () => {
  sim = await startSimulator();
  const inputs = reviews(97);
  const schema = z.enum(['positive', 'negative']); // 'neutral' answers fail it, as schema errors
  const shared = { batchSize: 10, valueField: 'sentiment', valueSchema: schema, structuredOutput: 'json_schema' as const };
  const model = modelAt(sim.url);
  const sent: unknown[] = [];
  const recording: Model = { ...model, complete: (request) => (sent.push(request.messages), model.complete(request)) };
  const live = await predictAll(recording, inputs, { ...shared, concurrency: 1 }); // one at a time: requests in batch order
  const deferred = await predictDeferred(model, inputs, { ...shared, jobDir, pollIntervalMs: 5 });

  const lines = await readJsonl('round-0.requests.jsonl');
  expect(lines.map((l) => l.body.messages)).toEqual(sent);
  expect(lines.every((l) => l.body.response_format?.type === 'json_schema')).toBe(true);
  expect(deferred.map((r) => (r.ok ? r.value : r.error.code))).toEqual(live.map((r) => (r.ok ? r.value : r.error.code)));
  expect(deferred.filter((r) => !r.ok).length).toBeGreaterThan(0);
  for (const r of deferred) expect(r.ok ? r.value : r.error.code).toBe(sentimentOf(r.input) === 'neutral' ? 'schema' : sentimentOf(r.input));
});

it('lines with answer defects are read and repaired by the real-time rules: every record once, no silent wrong value', async () => {
  sim = await startSimulator({
    seed: 11,
    defects: { missing: 0.15, notJson: 0.1, truncate: 0.1, wrongIndexBase: 0.1, conflict: 0.1, shuffle: 0.2, fence: 0.1, stringIndex: 0.1 },
  });
  const inputs = reviews(400);
  const results = await predictDeferred<string, string>(modelAt(sim.url), inputs, { ...options, jobDir, retry: { strategy: 'fixed', baseDelayMs: 1, maxDelayMs: 1 } });
  expectExactlyOnceInOrder(results, inputs);
  const { right, wrong } = countRight(results);
  expect(wrong).toEqual([]);
  expect(right / inputs.length).toBeGreaterThanOrEqual(0.99);
  expect(sim.stats.batchesCreated).toBe(1);
  // Repairs went out in real time, far fewer than a request per record.
  expect(sim.stats.chatRequests).toBeGreaterThan(0);
  expect(sim.stats.chatRequests).toBeLessThan(inputs.length / 4);
});

it('a process killed after the job was created, run again on the same jobDir, creates no second job and returns every result', async () => {
  let now = 0;
  sim = await startSimulator({ batch: { clock: () => now, completionDelayMs: 1000 } });
  const inputs = reviews(200);
  // The job stays in progress (the clock stands still) until the child is gone.
  await killChildWhen({ records: inputs, options }, async () => (await readManifest().then((m) => m.step, () => undefined)) === 'created', 'reached "created"');
  expect(sim.stats.batchesCreated).toBe(1);
  const killedAt = await readManifest();
  expect(killedAt.step).toBe('created');

  now = 5000; // the job has completed meanwhile
  const statuses: DeferredStatus[] = [];
  const results = await predictDeferred<string, string>(modelAt(sim.url), inputs, { ...options, jobDir, onStatus: (s) => statuses.push(s) });
  expectExactlyOnceInOrder(results, inputs);
  expect(countRight(results).right).toBe(200);
  expect(sim.stats.batchesCreated).toBe(1);
  expect(sim.stats.filesUploaded).toBe(1);
  expect(sim.stats.chatRequests).toBe(0);
  expect(statuses.map((s) => s.step)).not.toContain('submitted');
  expect((await readManifest()).rounds[0].parts[0].jobId).toBe(killedAt.rounds[0].parts[0].jobId);
});

it('a process killed while repairing in real time, run again on the same jobDir, sends no settled repair again and spends within the budget (+10%)', async () => {
  const simOptions = { seed: 5, latencyMs: 250, batch: { failedLineRate: 0.25 } };
  const inputs = reviews(400);
  // One repair request at a time: the kill finds some settled, some not. A budget on a job needs maxTokens (16 a record).
  const slow = { ...options, concurrency: 1, maxTokens: 320 };
  const tokensOf = (s: Simulator) => s.stats.promptTokens + s.stats.completionTokens + s.stats.batchPromptTokens + s.stats.batchCompletionTokens;
  // What the whole run spends, uninterrupted: the budget covers it, and no more.
  const whole = await startSimulator(simOptions);
  const wholeDir = await mkdtemp(join(tmpdir(), 'mlpredict-whole-'));
  let maxTokens: number;
  try {
    await predictDeferred(modelAt(whole.url), inputs, { ...slow, jobDir: wholeDir });
    maxTokens = tokensOf(whole);
  } finally {
    await whole.close();
    await rm(wholeDir, { recursive: true, force: true });
  }

  sim = await startSimulator(simOptions);
  const keptResults = async () => (await readJsonl('realtime-repairs.jsonl').catch(() => [])).filter((line) => line.result).map((line) => line.result);
  // Killed once the third repair request arrives (one at a time: the first two have settled), while the others are still to be asked.
  await killChildWhen({ records: inputs, options: { ...slow, budget: { maxTokens } } }, () => sim.stats.chatRequests >= 3, 'made a third repair request');
  const repairRecords = sim.stats.batchLinesFailed * 20;
  expect(sim.stats.batchLinesFailed).toBeGreaterThanOrEqual(4);
  const seenAtKill = sim.stats.recordsSeen;
  expect(seenAtKill).toBeLessThan(repairRecords);
  const kept = await keptResults(); // what the killed run kept (none before this was kept)

  const results = await predictDeferred<string, string>(modelAt(sim.url), inputs, { ...slow, budget: { maxTokens }, jobDir });
  expectExactlyOnceInOrder(results, inputs);
  expect(sim.stats.batchesCreated).toBe(1);
  // The repairs the killed run settled were not asked again: only the others were.
  expect(sim.stats.recordsSeen - seenAtKill).toBeLessThan(repairRecords);
  expect(kept.length).toBeGreaterThan(0);
  expect(sim.stats.recordsSeen - seenAtKill).toBe(repairRecords - kept.length);
  for (const k of kept) expect(results[k.seq]).toMatchObject({ ok: true, value: sentimentOf(inputs[k.seq]!) });
  // Both processes together stay within the one budget.
  expect(tokensOf(sim)).toBeLessThanOrEqual(maxTokens * 1.1);
  expect(results.filter((r) => !r.ok).map((r) => r.error.code)).toEqual(results.filter((r) => !r.ok).map(() => 'budget'));
  expect(countRight(results).wrong).toEqual([]);
});

it('a run killed between creating the job and recording it finds the job by its tag instead of submitting again', async () => {
  sim = await startSimulator();
  const inputs = reviews(60);
  await predictDeferred(modelAt(sim.url), inputs, { ...options, jobDir });
  // Put the folder back where a kill during the create call leaves it: the job exists, the manifest says "submitting".
  const manifest = await readManifest();
  const part = manifest.rounds[0].parts[0];
  Object.assign(part, { step: 'submitting', jobId: undefined, status: undefined, outcomesFile: undefined });
  Object.assign(manifest, { step: 'submitting', resultsFile: undefined });
  await writeFile(join(jobDir, 'manifest.json'), JSON.stringify(manifest));

  const results = await predictDeferred<string, string>(modelAt(sim.url), inputs, { ...options, jobDir });
  expect(countRight(results).right).toBe(60);
  expect(sim.stats.batchesCreated).toBe(1);
  expect(sim.stats.filesUploaded).toBe(1);
});

it('a job that expires half done: the lines run by then are used, the expired ones are repaired in real time', async () => {
  let now = 0;
  sim = await startSimulator({ batch: { clock: () => now, completionDelayMs: 1000, expireAfterMs: 450 } });
  const inputs = reviews(1000);
  const results = await predictDeferred<string, string>(modelAt(sim.url), inputs, {
    ...options,
    jobDir,
    onStatus: (s) => {
      if (s.step === 'submitted') now = 5000; // long past the window
    },
  });
  expectExactlyOnceInOrder(results, inputs);
  expect(countRight(results).right).toBe(1000);
  // 50 lines due every 20 ms: 22 ran by 450 ms, 28 expired.
  expect(sim.stats.batchLinesAnswered).toBe(22);
  expect(sim.stats.batchLinesExpired).toBe(28);
  expect(sim.stats.chatRequests).toBe(28);
  expect(repairedBatches(results).size).toBe(28);
  expect((await readManifest()).rounds[0].parts[0].status).toBe('expired');
});

it("repair: 'deferred' asks the failed lines' records again in a follow-up job, with no real-time request", async () => {
  sim = await startSimulator({ batch: { failedLineRate: 0.05 } });
  const inputs = reviews(1000);
  const results = await predictDeferred<string, string>(modelAt(sim.url), inputs, { ...options, jobDir, repair: 'deferred' });
  expectExactlyOnceInOrder(results, inputs);
  expect(countRight(results).right).toBe(1000);
  expect(sim.stats.chatRequests).toBe(0);
  const manifest = await readManifest();
  expect(sim.stats.batchesCreated).toBe(manifest.rounds.length);
  expect(manifest.rounds.length).toBeGreaterThanOrEqual(2);
  const followUp = await readJsonl(manifest.rounds[1].groupsFile);
  const round0Failed = (await readJsonl(manifest.rounds[0].parts[0].outcomesFile)).filter((o) => !o.ok).length;
  expect(followUp).toHaveLength(round0Failed);
  expect(followUp.every((g: { id: string; seqs: number[] }) => g.id.startsWith('repair1-batch-') && g.seqs.length === 20)).toBe(true);
});

it('signal cancels the remote job and resolves with aborted errors; run again, it keeps what ran and repairs the rest', async () => {
  let now = 0;
  sim = await startSimulator({ batch: { clock: () => now, completionDelayMs: 1000 } });
  const inputs = reviews(400);
  const controller = new AbortController();
  const first = await predictDeferred<string, string>(modelAt(sim.url), inputs, {
    ...options,
    jobDir,
    signal: controller.signal,
    onStatus: (s) => {
      if (s.step === 'submitted') {
        now = 500; // half the lines have run
        controller.abort();
      }
    },
  });
  expectExactlyOnceInOrder(first, inputs);
  expect(first.every((r) => r.error?.code === 'aborted')).toBe(true);
  expect(sim.stats.batchesCancelled).toBe(1);
  expect(sim.stats.chatRequests).toBe(0);
  expect((await readManifest()).rounds[0].parts[0].cancelRequested).toBe(true);

  const again = await predictDeferred<string, string>(modelAt(sim.url), inputs, { ...options, jobDir });
  expect(countRight(again).right).toBe(400);
  expect(sim.stats.batchesCreated).toBe(1);
  expect(sim.stats.batchLinesAnswered).toBe(10);
  expect(sim.stats.batchLinesCancelled).toBe(10);
  expect(sim.stats.chatRequests).toBe(10);
});

it('refuses a jobDir made for other records or other options, and sends nothing', async () => {
  sim = await startSimulator();
  const inputs = reviews(40);
  await predictDeferred(modelAt(sim.url), inputs, { ...options, jobDir });
  const before = sim.stats.requests;
  await expect(predictDeferred(modelAt(sim.url), reviews(41), { ...options, jobDir })).rejects.toThrow(/other records or options: the records differ/);
  await expect(predictDeferred(modelAt(sim.url), reviews(41), { ...options, jobDir })).rejects.toBeInstanceOf(TypeError);
  await expect(predictDeferred(modelAt(sim.url), inputs, { ...options, jobDir, valueField: 'label' })).rejects.toThrow(/the options \(or the model\) differ/);
  expect(sim.stats.requests).toBe(before);
  // What only steers this process may change: the stored results come back, and nothing is sent.
  const again = await predictDeferred<string, string>(modelAt(sim.url), inputs, { ...options, jobDir, pollIntervalMs: 1000, concurrency: 2 });
  expect(countRight(again).right).toBe(40);
  expect(again.every((r, i) => r.input === inputs[i])).toBe(true);
  expect(sim.stats.requests).toBe(before);
});

it('refuses a jobDir made for other records whose JSON is alike (Maps read through toText): it keys them by the text sent', async () => {
  sim = await startSimulator();
  const toText = (record: Map<string, string>) => record.get('text')!;
  const asMaps = (texts: string[]) => texts.map((text) => new Map([['text', text]]));
  const first = reviews(40);
  await predictDeferred(modelAt(sim.url), asMaps(first), { ...options, toText, jobDir });
  const before = sim.stats.requests;
  // Every Map is `{}` in JSON: other reviews must not get the first run's answers.
  const other = reviews(80).slice(40);
  await expect(predictDeferred(modelAt(sim.url), asMaps(other), { ...options, toText, jobDir })).rejects.toThrow(/the records differ/);
  expect(sim.stats.requests).toBe(before);
});

it('a rerun on a finished folder gives the values the first run gave, also when valueSchema turns answers into Dates or Sets', async () => {
  const inputs = reviews(60);
  const sentiment = z.enum(['positive', 'negative', 'neutral']);
  const shared = { ...options, batchSize: 5, jobDir, valueSchema: z.object({ sentiment, on: z.coerce.date() }).transform(({ sentiment: s, on }) => ({ tags: new Set([s]), on })) };
  // The answer is an object: the label, and a date the schema coerces.
  const label = (text: string) => ({ sentiment: sentimentOf(text), on: '2026-01-02' });
  // Some lines fail, so some answers come from the job and some from real-time repairs.
  sim = await startSimulator({ label, seed: 3, batch: { failedLineRate: 0.4 } });
  const first = await predictDeferred(modelAt(sim.url), inputs, shared);
  expect(first.every((r) => r.ok && r.value.tags instanceof Set && r.value.on instanceof Date)).toBe(true);
  expect(first.some((r) => r.meta.repairs > 0) && first.some((r) => r.meta.repairs === 0)).toBe(true);
  const requests = sim.stats.requests;
  const again = await predictDeferred(modelAt(sim.url), inputs, shared);
  expect(sim.stats.requests).toBe(requests);
  expect(again.map((r) => r.value)).toEqual(first.map((r) => r.value));
  expect(again.every((r) => r.ok && r.value.tags instanceof Set && r.value.on instanceof Date)).toBe(true);
});

it('splits the requests into jobs at the per-job request limit', async () => {
  sim = await startSimulator({ batch: { maxRequestsPerFile: 12 } });
  const inputs = reviews(500);
  const statuses: DeferredStatus[] = [];
  const results = await predictDeferred<string, string>(modelAt(sim.url), inputs, { ...options, batchSize: 10, jobDir, jobLimits: { maxRequests: 12 }, onStatus: (s) => statuses.push(s) });
  expect(countRight(results).right).toBe(500);
  // 50 lines, at most 12 a job: 12 + 12 + 12 + 12 + 2; the simulator would fail a job of 13.
  const manifest = await readManifest();
  expect(manifest.rounds[0].parts.map((p: { first: number; end: number }) => p.end - p.first)).toEqual([12, 12, 12, 12, 2]);
  expect(sim.stats.batchesCreated).toBe(5);
  expect(sim.stats.filesUploaded).toBe(5);
  expect(sim.stats.chatRequests).toBe(0);
  expect(statuses.find((s) => s.step === 'planned')).toMatchObject({ round: 0, parts: 5, records: 500 });
});

it('splits at the per-job byte limit', async () => {
  sim = await startSimulator({ batch: { maxFileBytes: 8_000 } });
  const inputs = reviews(300);
  const results = await predictDeferred<string, string>(modelAt(sim.url), inputs, { ...options, jobDir, jobLimits: { maxBytes: 8_000 } });
  expect(countRight(results).right).toBe(300);
  const manifest = await readManifest();
  const parts = manifest.rounds[0].parts as Array<{ bytes: number }>;
  expect(parts.length).toBeGreaterThan(1);
  for (const part of parts) expect(part.bytes).toBeLessThanOrEqual(8_000);
  expect(sim.stats.batchesCreated).toBe(parts.length);
});

it('a second run on a folder in use is refused', async () => {
  let now = 0;
  sim = await startSimulator({ batch: { clock: () => now, completionDelayMs: 1000 } });
  const inputs = reviews(40);
  let second: Promise<unknown> | undefined;
  const first = predictDeferred(modelAt(sim.url), inputs, {
    ...options,
    jobDir,
    onStatus: (s) => {
      if (s.step === 'submitted' && !second) {
        second = predictDeferred(modelAt(sim!.url), inputs, { ...options, jobDir });
        second.catch(() => undefined).finally(() => (now = 5000));
      }
    },
  });
  await first;
  await expect(second).rejects.toThrow(/is in use by process/);
  expect(sim.stats.batchesCreated).toBe(1);
});

it('an endpoint that refuses the Batch API rejects with a DeferredJobError; run again once it accepts, it resumes and submits once', async () => {
  sim = await startSimulator({ apiKey: 'right-key' });
  const inputs = reviews(40);
  const refused = predictDeferred(modelAt(sim.url, { apiKey: 'wrong-key' }), inputs, { ...options, jobDir });
  await expect(refused).rejects.toBeInstanceOf(DeferredJobError);
  await expect(refused).rejects.toThrow(/could not submit job 0 of round 0: HTTP 401: .*run again with the same jobDir to resume/);
  expect((await readManifest()).step).toBe('submitting');
  expect(sim.stats.batchesCreated).toBe(0);

  const results = await predictDeferred<string, string>(modelAt(sim.url, { apiKey: 'right-key' }), inputs, { ...options, jobDir });
  expect(countRight(results).right).toBe(40);
  expect(sim.stats.batchesCreated).toBe(1);
});

it("onError: 'throw' rejects with the first failed record, once every record has its result", async () => {
  sim = await startSimulator();
  const inputs = ['great', 'arrived on Tuesday', 'awful'];
  const run = predictDeferred(modelAt(sim.url), inputs, { ...options, jobDir, valueSchema: z.enum(['positive', 'negative']), onError: 'throw' });
  await expect(run).rejects.toBeInstanceOf(PredictError);
  await expect(run).rejects.toThrow(/record 1: schema/);
  expect((await readManifest()).step).toBe('repaired');
});

it('a job the provider refuses as a whole is answered in real time, and onStatus says why', async () => {
  sim = await startSimulator({ batch: { maxRequestsPerFile: 5 } }); // the endpoint takes fewer requests per job than OpenAI's limit
  const inputs = reviews(200);
  const statuses: DeferredStatus[] = [];
  const results = await predictDeferred<string, string>(modelAt(sim.url), inputs, { ...options, jobDir, onStatus: (s) => statuses.push(s) });
  expect(countRight(results).right).toBe(200);
  expect(sim.stats.batchesCreated).toBe(1);
  expect(sim.stats.chatRequests).toBe(10);
  const downloaded = statuses.find((s) => s.step === 'downloaded')!;
  expect(downloaded.job).toMatchObject({ status: 'failed', errors: [expect.stringContaining('too_many_tasks')] });
  expect(statuses.find((s) => s.step === 'repairing')).toMatchObject({ records: 200 });
});

it('records that cannot be sent are bad_input at once; with none left, no job is made', async () => {
  sim = await startSimulator();
  const inputs = [{ id: 1 }, { id: 2 }];
  const results = await predictDeferred(modelAt(sim.url), inputs, { ...options, jobDir, textField: 'text' });
  expect(results.map((r) => r.error?.code)).toEqual(['bad_input', 'bad_input']);
  expect(results.map((r) => r.input)).toEqual(inputs);
  expect(sim.stats.requests).toBe(0);
  expect((await readManifest()).step).toBe('repaired');
});

it('a model with defaults (withDefaults) keeps its Batch API, and its defaults apply', async () => {
  sim = await startSimulator();
  const inputs = reviews(30);
  const sentiment = withDefaults(modelAt(sim.url), { valueField: 'sentiment', batchSize: 10 });
  const results = await predictDeferred<string, string>(sentiment, inputs, { jobDir, pollIntervalMs: 5 });
  expect(countRight(results).right).toBe(30);
  expect((await readManifest()).rounds[0].lines).toBe(3);
});

/**
 * Runs `predictDeferred` on `input` in a child process (deferred-child.cjs) on `sim`
 * and `jobDir`, and SIGKILLs it once `reached()` holds (within 30 s).
 */
async function killChildWhen(input: { records: unknown[]; options: object }, reached: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const inputDir = await mkdtemp(join(tmpdir(), 'mlpredict-child-'));
  const inputFile = join(inputDir, 'input.json');
  await writeFile(inputFile, JSON.stringify(input));
  const child = spawn(process.execPath, [join(__dirname, 'deferred-child.cjs'), sim.url, jobDir, inputFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = once(child, 'exit');
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  try {
    for (let waited = 0; !(await reached()); waited += 10) {
      if (waited > 30_000 || child.exitCode !== null) throw new Error(`the child never ${what}: ${stderr}`);
      await sleep(10);
    }
    child.kill('SIGKILL');
    const [code, signal] = await exited;
    expect([code, signal]).toEqual([null, 'SIGKILL']);
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await rm(inputDir, { recursive: true, force: true });
  }
}
