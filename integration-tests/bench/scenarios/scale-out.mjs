/**
 * Scale-out (issue 15): worker processes (child_process.fork) reading one Redis
 * stream through one consumer group, against a provider that allows 10 requests
 * per second. With one redisQuota shared by all of them, aggregate throughput
 * grows with the workers until it meets the quota, then holds there; with only
 * their own local limits (each worker told the whole quota), four workers send
 * too fast and the provider answers with 429s. One run also SIGKILLs a worker to
 * show what taking over its pending entries costs.
 */
import { fork } from 'node:child_process';
import { createClient } from '@redis/client';
import { sentimentOf, startSimulator } from '@mlpredict/testing';
import { meanLatency } from '../lib/measure.mjs';
import { progress, sleep } from '../lib/log.mjs';
import { reviews } from '../lib/records.mjs';
import { redisServerAvailable, startRedisServer } from '../lib/redis-server.mjs';
import { int, seconds } from '../report.mjs';

const LIMIT = { requests: 10, windowMs: 1000 };
const QUOTA_RPM = (LIMIT.requests * 60_000) / LIMIT.windowMs; // 600: the provider's quota, as the user states it
const BATCH = 10;
const SIMULATOR = { rateLimit: LIMIT, latencyMs: [150, 170], seed: 15 };
const WORKER_OPTIONS = { batchSize: BATCH, batchTimeoutMs: 20, concurrency: 1, valueField: 'sentiment' };
const CLAIM_IDLE_MS = 1_000;
const KILL_AFTER_MS = 2_000;
/** The worker the scale-out test forks too: one pipeline in the group, on the built @mlpredict/redis. */
const WORKER_URL = new URL('../../../packages/redis/src/__tests__/fixtures/stream-worker.mjs', import.meta.url);
/** Records per second the quota allows. */
const QUOTA_RECORDS_PER_S = (QUOTA_RPM / 60) * BATCH;

const COLUMNS = [
  { title: 'workers', value: (r) => String(r.workers) },
  { title: 'quota', value: (r) => r.quotaLabel },
  { title: 'wall', value: (r) => seconds(r.wallMs) },
  { title: 'ideal', value: (r) => seconds(r.idealMs) },
  { title: 'right/s', value: (r) => int(r.rightPerS) },
  { title: '÷ quota', value: (r) => `${r.ofQuota.toFixed(2)}×` },
  { title: 'requests', value: (r) => int(r.requests) },
  { title: '429s', value: (r) => int(r.rateLimited) },
  { title: '429 %', value: (r) => `${((100 * r.rateLimited) / Math.max(1, r.requests)).toFixed(1)}%` },
  { title: 'claimed', value: (r) => int(r.claimed) },
  { title: 'duplicates', value: (r) => int(r.duplicates) },
  { title: 'lost', value: (r) => `${int(r.lost)}${r.crash ? ' (crashed)' : ''}` },
  { title: 'right', value: (r) => `${int(r.right)} / ${int(r.records)}` },
];

/**
 * Quota-bound (every request at the quota's pace) or worker-bound (each worker
 * one request at a time, one mean latency each), whichever is slower.
 */
function idealMs({ records, workers }) {
  const requests = Math.ceil(records / BATCH);
  return Math.max(requests * (60_000 / QUOTA_RPM), Math.ceil(requests / workers) * meanLatency(SIMULATOR.latencyMs));
}

export default {
  id: 'scale-out',
  async run({ quick }) {
    const records = reviews(quick ? 600 : 2_000);
    const title = `Scale-out: ${int(records.length)} records, worker processes on one Redis stream, provider allows ${LIMIT.requests} requests/s`;
    if (!redisServerAvailable()) {
      progress('scale-out: skipped (no redis-server; apt-get install redis-server)');
      return { id: 'scale-out', title, setup: 'Skipped: no `redis-server` on this machine (Debian/Ubuntu: `apt-get install redis-server`).', columns: COLUMNS, rows: [] };
    }
    const runs = [
      { workers: 1, shared: true },
      { workers: 2, shared: true },
      { workers: 4, shared: true },
      { workers: 4, shared: true, kill: true },
      { workers: 4, shared: false },
    ];
    const rows = [];
    for (const run of runs) rows.push(await measureWorkers(run, records));

    const [one, two, four, killed, local] = rows;
    return {
      id: 'scale-out',
      title,
      setup:
        `Each worker is a Node process (\`child_process.fork\`) running \`createRedisStreamPipeline\` from \`@mlpredict/redis\`: one input stream, one ` +
        `consumer group, batch ${BATCH}, \`concurrency: 1\`, \`maxInFlight: 30\`, \`claimIdleMs: ${CLAIM_IDLE_MS}\`. Simulator ` +
        `\`rateLimit: { requests: ${LIMIT.requests}, windowMs: ${LIMIT.windowMs} }\`, \`latencyMs: [${SIMULATOR.latencyMs.join(', ')}]\`, so one worker alone ` +
        `reaches about 60% of the provider's quota. "shared" workers' models use one \`redisQuota({ requestsPerMinute: ${QUOTA_RPM} })\` (same key); ` +
        `"local" workers each use \`openAIModel({ requestsPerMinute: ${QUOTA_RPM} })\`, their own limiter told the whole quota. A fresh redis-server and ` +
        `simulator per row. **wall** runs from the moment the records are added to the stream (every worker already started and waiting on the group) until every input entry is acked; **ideal** is the slower of ` +
        `the quota (⌈records / ${BATCH}⌉ requests × ${60_000 / QUOTA_RPM} ms) and the workers (⌈requests / workers⌉ × the mean latency); **right/s** counts only records answered right ` +
        `(a record given up after too many 429s is not throughput), and **÷ quota** divides it by the ${QUOTA_RECORDS_PER_S} records/s the quota allows. **duplicates** are output entries beyond one per input (at-least-once); ` +
        `**right** counts inputs whose first output (deduped by \`input_id\`) is the simulator's label; **lost** have none, or only an error.`,
      columns: COLUMNS,
      rows,
      notes: [
        `Throughput with the shared quota: 1 worker ${one.ofQuota.toFixed(2)}× the quota, 2 workers ${two.ofQuota.toFixed(2)}×, 4 workers ` +
          `${four.ofQuota.toFixed(2)}× (target: ≥ 0.9× once the workers could send more than the quota: ${Math.min(two.ofQuota, four.ofQuota) >= 0.9 ? 'met' : 'NOT met'}).`,
        `Four workers without the shared quota: ${local.rateLimited} × 429 (${((100 * local.rateLimited) / Math.max(1, local.requests)).toFixed(0)}% of ` +
          `${local.requests} requests) and ${local.lost} records given up after too many 429s, in ${seconds(local.wallMs)}; with it: ` +
          `${four.rateLimited} × 429 of ${four.requests} requests, ${four.lost} lost, in ${seconds(four.wallMs)}. Each process believes it owns the whole quota.`,
        `With one worker SIGKILLed after ${KILL_AFTER_MS / 1000} s, the others took over its ${killed.claimed} pending entries after \`claimIdleMs\`; ` +
          `${killed.lost} lost, ${killed.duplicates} written twice.`,
        'A 429 under the shared quota also slows every worker’s pace by 3% for a while (halving each minute), so a quota set exactly at the provider’s ' +
          'limit stays clear of its window despite the jitter between a grant and the request’s arrival.',
      ],
      headline:
        `Scale-out (${int(records.length)} records, provider at ${LIMIT.requests} requests/s): 1 → 2 → 4 workers on one shared redisQuota reach ` +
        `${one.ofQuota.toFixed(2)}× → ${two.ofQuota.toFixed(2)}× → ${four.ofQuota.toFixed(2)}× the quota with ${four.rateLimited} × 429 at 4; four workers ` +
        `limited only locally draw ${local.rateLimited} × 429 and lose ${local.lost} records in ${seconds(local.wallMs)} (shared: ${four.lost} lost, ${seconds(four.wallMs)}).`,
    };
  },
};

/** One row: fresh Redis and simulator, the records in the input stream, `workers` processes until every entry is acked. */
async function measureWorkers({ workers, shared, kill = false }, records) {
  const label = `${workers} worker${workers > 1 ? 's' : ''}, ${shared ? 'shared' : 'local'} quota${kill ? ', one killed' : ''}`;
  progress(`scale-out: ${label} — ${records.length} records…`);
  const redis = await startRedisServer();
  const sim = await startSimulator(SIMULATOR);
  const admin = createClient({ url: redis.url });
  await admin.connect();
  const children = [];
  try {
    // Workers up and waiting on the group first; the clock starts when the work arrives.
    for (let i = 0; i < workers; i++) children.push(await forkWorker(i, { redisUrl: redis.url, simUrl: sim.url, shared }));
    const started = performance.now();
    const multi = admin.multi();
    for (const record of records) multi.xAdd('reviews', '*', { record: JSON.stringify(record) });
    const ids = (await multi.exec()).map(String);
    const recordById = new Map(ids.map((id, i) => [id, records[i]]));
    let killedConsumer;
    if (kill) {
      await sleep(KILL_AFTER_MS);
      children[0].kill('SIGKILL');
      killedConsumer = 'w0';
    }
    const crash = await waitUntilDrained(admin, ids[ids.length - 1], children.filter((_, i) => !(kill && i === 0)));
    const wallMs = performance.now() - started;
    const reports = crash ? [] : await Promise.all(children.filter((_, i) => !(kill && i === 0)).map(stopWorker));

    const output = (await admin.xRange('reviews-sentiment', '-', '+')).map((e) => ({ inputId: e.message.input_id, result: JSON.parse(e.message.result) }));
    const first = new Map();
    for (const entry of output) if (!first.has(entry.inputId)) first.set(entry.inputId, entry.result);
    let right = 0;
    let lost = 0;
    for (const [id, record] of recordById) {
      const result = first.get(id);
      if (result === undefined || result.error) lost++;
      else if (result.value === sentimentOf(record)) right++;
    }
    const row = {
      workers,
      quotaLabel: `${shared ? `shared ${QUOTA_RPM}/min` : `local ${QUOTA_RPM}/min each`}${killedConsumer ? ', one SIGKILLed' : ''}`,
      records: records.length,
      wallMs,
      idealMs: idealMs({ records: records.length, workers }),
      rightPerS: (right / wallMs) * 1000,
      ofQuota: ((right / wallMs) * 1000) / QUOTA_RECORDS_PER_S,
      requests: sim.stats.chatRequests,
      rateLimited: sim.stats.rateLimited,
      claimed: reports.reduce((sum, r) => sum + r.stats.claimed, 0),
      duplicates: output.length - first.size,
      lost,
      right,
      crash,
    };
    progress(
      `scale-out: ${label} done in ${seconds(wallMs)} — ${row.requests} requests, ${row.rateLimited} × 429, ${row.ofQuota.toFixed(2)}× the quota, ` +
        `${row.claimed} claimed, ${row.duplicates} duplicates, ${lost} lost${crash ? `, ${crash}` : ''}`,
    );
    return row;
  } finally {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    admin.destroy();
    await sim.close();
    await redis.stop();
  }
}

function forkWorker(index, { redisUrl, simUrl, shared }) {
  const config = {
    redisUrl,
    simUrl,
    inputStream: 'reviews',
    group: 'sentiment',
    consumer: `w${index}`,
    outputStream: 'reviews-sentiment',
    claimIdleMs: CLAIM_IDLE_MS,
    maxInFlight: 30,
    options: WORKER_OPTIONS,
    ...(shared ? { quota: { key: 'bench', requestsPerMinute: QUOTA_RPM } } : { localRequestsPerMinute: QUOTA_RPM }),
  };
  const child = fork(WORKER_URL, [JSON.stringify(config)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('message', (message) => (message.type === 'ready' ? resolve(child) : reject(new Error(`worker w${index}: ${message.message}`))));
    child.once('exit', (code) => reject(new Error(`worker w${index} exited (${code}) before it was ready`)));
  });
}

function stopWorker(child) {
  return new Promise((resolve, reject) => {
    child.on('message', (message) => message.type === 'stopped' && resolve(message));
    child.once('exit', (code) => reject(new Error(`worker exited (${code}) before reporting`)));
    child.send({ type: 'stop' });
  });
}

/** Polls the group until it handed out `lastId` and acked everything; returns a reason instead if the live workers died or it took 5 minutes. */
async function waitUntilDrained(admin, lastId, live) {
  const deadline = Date.now() + 5 * 60_000;
  for (;;) {
    const group = (await admin.xInfoGroups('reviews').catch(() => [])).find((g) => g.name === 'sentiment');
    if (group && Number(group.pending) === 0 && group['last-delivered-id'] === lastId) return undefined;
    if (live.every((child) => child.exitCode !== null)) return 'every worker exited';
    if (Date.now() > deadline) return 'not drained after 5 minutes';
    await sleep(50);
  }
}
