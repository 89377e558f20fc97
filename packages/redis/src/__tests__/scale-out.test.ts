/**
 * Issue 15's "Done when", with real processes: four workers (child_process.fork,
 * running the built package) read one stream through one group and share one
 * redisQuota (600 requests/min) against the simulator limited to 10 requests/s,
 * batch 10. One worker is SIGKILLed after 2 s; the others take over its pending
 * entries after claimIdleMs. Every input entry then has an output entry with the
 * right value (after dedupe by input_id), nothing is lost, 429s stay under 2% of
 * requests, and the run takes at most 1.5 × the quota's ideal plus claimIdleMs.
 *
 * The wall-time bound is the issue's acceptance criterion, deliberately loose
 * (the quota, not the machine, sets the pace: ~20 s of waiting on it). The same
 * four workers without the shared quota are compared in `pnpm bench`
 * (scale-out), not asserted here.
 */
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { createClient } from '@redis/client';
import { sentimentOf, startSimulator, type Simulator } from '@mlpredict/testing';
import type { RedisQuotaStats, RedisStreamPipelineStats } from '../index';
import { startRedis, type TestRedis } from './redis-server';
import { addRecords, byInputId, pendingByConsumer, readOutput, reviews, waitFor, waitUntilDrained } from './stream-fixtures';

const root = resolve(__dirname, '../../../..');
const RECORDS = 2_000;
const BATCH = 10;
const REQUESTS_PER_MINUTE = 600;
const CLAIM_IDLE_MS = 1_000;
const KILL_AFTER_MS = 2_000;

let redis: TestRedis;
let admin: ReturnType<typeof createClient>;
let sim: Simulator;
const workers: ChildProcess[] = [];

beforeAll(async () => {
  // The workers run the built package: build it (and core) so they never run a stale build.
  for (const pkg of ['core', 'redis']) execFileSync('pnpm', ['run', 'build'], { cwd: join(root, 'packages', pkg), stdio: 'pipe' });
  redis = await startRedis();
  admin = createClient({ url: redis.url });
  await admin.connect();
  sim = await startSimulator({ rateLimit: { requests: 10, windowMs: 1_000 }, latencyMs: [40, 80], seed: 15 });
}, 180_000);
afterAll(async () => {
  for (const worker of workers) if (worker.exitCode === null && worker.signalCode === null) worker.kill('SIGKILL');
  await sim?.close();
  admin?.destroy();
  await redis?.stop();
});

type WorkerMessage =
  | { type: 'ready' }
  | { type: 'stopped'; stats: RedisStreamPipelineStats; quota: RedisQuotaStats }
  | { type: 'error'; message: string };

/** Forks a worker and resolves once its pipeline has started (connected, in the group, waiting for entries). */
function startWorker(consumer: string, overrides: Record<string, unknown> = {}): Promise<ChildProcess> {
  const config = {
    redisUrl: redis.url,
    simUrl: sim.url,
    inputStream: 'reviews',
    group: 'sentiment',
    consumer,
    outputStream: 'reviews-sentiment',
    claimIdleMs: CLAIM_IDLE_MS,
    maxInFlight: 30,
    options: { batchSize: BATCH, batchTimeoutMs: 20, concurrency: 2, valueField: 'sentiment' },
    quota: { key: 'scale-out', requestsPerMinute: REQUESTS_PER_MINUTE },
    ...overrides,
  };
  const worker = fork(join(__dirname, 'fixtures/stream-worker.mjs'), [JSON.stringify(config)], { stdio: 'inherit' });
  workers.push(worker);
  return nextMessage(worker, 'ready').then(() => worker);
}

/** The worker's next message of `type`; rejects if it reports an error or exits first. */
function nextMessage<T extends WorkerMessage['type']>(worker: ChildProcess, type: T): Promise<Extract<WorkerMessage, { type: T }>> {
  return new Promise((resolveMessage, reject) => {
    const onMessage = (message: WorkerMessage) => {
      if (message.type === 'error') reject(new Error(`worker failed: ${message.message}`));
      else if (message.type === type) resolveMessage(message as Extract<WorkerMessage, { type: T }>);
      else return;
      worker.off('message', onMessage);
      worker.off('exit', onExit);
    };
    const onExit = (code: number | null) => reject(new Error(`worker exited (${code}) before "${type}"`));
    worker.on('message', onMessage);
    worker.once('exit', onExit);
  });
}

test('four workers, one group, one shared quota, one of them SIGKILLed: every entry answered right, nothing lost, few 429s, near the quota', async () => {
  // Workers up and waiting on the group first; the clock starts when the work arrives.
  const [doomed, ...survivors] = await Promise.all(['w0', 'w1', 'w2', 'w3'].map((name) => startWorker(name)));
  const texts = reviews(RECORDS);
  const started = performance.now();
  const ids = await addRecords(admin, 'reviews', texts);
  const textById = new Map(ids.map((id, i) => [id, texts[i]!]));

  await new Promise((r) => setTimeout(r, KILL_AFTER_MS));
  const exited = new Promise((r) => doomed!.once('exit', r));
  doomed!.kill('SIGKILL');
  await exited;
  // What it held when it died (read, not acked): the others must take all of it over.
  const leftByDead = (await pendingByConsumer(admin, 'reviews', 'sentiment')).w0 ?? 0;
  expect(leftByDead).toBeGreaterThan(0);

  await waitUntilDrained(admin, 'reviews', 'sentiment', ids[ids.length - 1]!, 90_000);
  const wallMs = performance.now() - started;
  const reports = await Promise.all(survivors.map((worker) => {
    const stopped = nextMessage(worker, 'stopped');
    worker.send({ type: 'stop' });
    return stopped;
  }));

  // Every input entry has an output entry, each with the right value; after dedupe by input_id, exactly the inputs.
  const output = await readOutput(admin, 'reviews-sentiment');
  const grouped = byInputId(output);
  expect(grouped.size).toBe(RECORDS);
  expect([...grouped.keys()].every((id) => textById.has(id))).toBe(true);
  const wrong = output.filter((entry) => JSON.stringify(entry.result) !== JSON.stringify({ value: sentimentOf(textById.get(entry.inputId)!) }));
  expect(wrong).toEqual([]);
  // Duplicates come only from the dead worker (written, not acked): at most what it held.
  expect(output.length - RECORDS).toBeLessThanOrEqual(leftByDead);

  // None lost: nothing pending, on anyone; the survivors took over what the dead one held.
  expect(await pendingByConsumer(admin, 'reviews', 'sentiment')).toEqual({});
  const claimed = reports.reduce((sum, r) => sum + r.stats.claimed, 0);
  expect(claimed).toBeGreaterThanOrEqual(leftByDead);
  for (const report of reports) {
    expect(report.stats).toMatchObject({ state: 'stopped', inFlight: 0, nacked: 0 });
    expect(report.quota).toMatchObject({ mode: 'redis', fallbacks: 0 });
  }

  // The shared quota kept the four of them under the provider's limit…
  const { chatRequests, rateLimited } = sim.stats;
  expect(rateLimited / chatRequests).toBeLessThan(0.02);
  // …and close to it: the ideal is every request at the quota's pace.
  const idealMs = Math.ceil(RECORDS / BATCH) * (60_000 / REQUESTS_PER_MINUTE);
  expect(wallMs).toBeLessThanOrEqual(1.5 * idealMs + CLAIM_IDLE_MS);
  // eslint-disable-next-line no-console -- the numbers behind the bounds, for whoever reads the CI log
  console.log(
    `scale-out: ${RECORDS} records in ${(wallMs / 1000).toFixed(1)} s (ideal ${(idealMs / 1000).toFixed(1)} s), ${chatRequests} requests, ` +
      `${rateLimited} × 429, ${output.length - RECORDS} duplicates, ${leftByDead} left by the killed worker, ${claimed} claimed`,
  );
}, 150_000);

test('SIGTERM with handleSignals drains a worker: what it was predicting is written and acked, the rest waits for its restart; each input once', async () => {
  const streams = { inputStream: 'terminated', outputStream: 'terminated-out', group: 'g', quota: { key: 'sigterm', requestsPerMinute: REQUESTS_PER_MINUTE } };
  const first = await startWorker('solo', { ...streams, handleSignals: true });
  const texts = reviews(300);
  const ids = await addRecords(admin, 'terminated', texts);
  await waitFor(async () => (await readOutput(admin, 'terminated-out')).length >= 50, 30_000, '50 outputs');

  const stopped = nextMessage(first, 'stopped');
  const exited = new Promise<number | null>((r) => first.once('exit', r));
  first.kill('SIGTERM');
  const { stats } = await stopped;
  expect(await exited).toBe(0);
  expect(stats).toMatchObject({ state: 'stopped', inFlight: 0, nacked: 0 });
  expect(stats.acked).toBe(stats.read); // everything the runner took was answered
  expect(stats.acked).toBeLessThan(300);
  const written = await readOutput(admin, 'terminated-out');
  expect(written.map((e) => e.inputId)).toEqual(ids.slice(0, stats.acked)); // in read order, each once

  const restarted = await startWorker('solo', streams);
  await waitUntilDrained(admin, 'terminated', 'g', ids[ids.length - 1]!, 60_000);
  const done = nextMessage(restarted, 'stopped');
  restarted.send({ type: 'stop' });
  await done;
  const output = await readOutput(admin, 'terminated-out');
  expect(output.map((e) => e.inputId)).toEqual(ids); // graceful: no duplicate
  output.forEach((entry, i) => expect(entry.result).toEqual({ value: sentimentOf(texts[i]!) }));
}, 120_000);
