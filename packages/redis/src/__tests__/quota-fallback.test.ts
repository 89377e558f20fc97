/**
 * Redis stopped mid-run: each worker falls back to 1/N of the quota (N = the
 * workers alive when it last saw Redis), says so once, never runs unlimited,
 * and goes back to Redis when it is restarted on the same port.
 *
 * The rate check is an upper bound against measured elapsed time, so a slow
 * machine can only make it easier to pass for a correct limiter, never harder;
 * a limiter that let everything through would grant all 12 at once.
 */
import { createClient } from '@redis/client';
import { redisQuota, RedisUnavailableError, type RedisQuota } from '../index';
import { burstOf } from '../quota/quota-limits';
import { quotaKeys } from '../quota/quota-keys';
import { startRedis, type TestRedis } from './redis-server';

let redis: TestRedis;
const opened: RedisQuota[] = [];

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await Promise.all(opened.map((q) => q.close()));
  await redis?.stop();
});

async function until(condition: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

test('stopped Redis: 1/N local share with one warning, never unlimited; back to Redis after a restart', async () => {
  const requestsPerMinute = 600; // shared: 10/s; each of 2 workers alone: 5/s
  const leaseMs = 600; // heartbeats every 200 ms, so both workers notice the outage quickly
  const warnings: string[][] = [[], []];
  const [a, b] = await Promise.all(
    [0, 1].map(async (i) => {
      const q = await redisQuota({ url: redis.url, key: 'fb', requestsPerMinute, maxConcurrency: 4, leaseMs, onWarning: (m) => warnings[i]!.push(m) });
      opened.push(q);
      return q;
    }),
  );
  await until(() => a!.stats().workers === 2, 'a to see both workers');

  await redis.stop();

  // The first acquire after the outage falls back instead of failing.
  const first = await a!.acquire({ tokens: 1 });
  first.release();
  expect(a!.stats()).toMatchObject({ mode: 'local', workers: 2, fallbacks: 1 });
  expect(warnings[0]).toHaveLength(1);
  expect(warnings[0]![0]).toMatch(/Redis at redis:\/\/127\.0\.0\.1:\d+\/? is unreachable/);
  expect(warnings[0]![0]).toMatch(/quota "fb" falls back to this worker's share, 1\/2 of it \(300 requests\/min, 2 in flight\)/);

  // Never unlimited: 12 acquires at once are granted at ≤ 5/s (plus a burst of 1).
  const started = Date.now();
  let granted = 0;
  const all = Array.from({ length: 12 }, () =>
    a!.acquire({ tokens: 1 }).then((lease) => {
      granted++;
      lease.release();
    }),
  );
  await new Promise((resolve) => setTimeout(resolve, 600));
  const elapsedS = (Date.now() - started) / 1000;
  // `first` already took this second's burst; the +1 is slack for the timer's edge.
  expect(granted).toBeLessThanOrEqual(burstOf(requestsPerMinute / 2) + elapsedS * 5 + 1);
  expect(granted).toBeLessThan(12);
  await Promise.all(all); // all granted in the end: the share is slow, not stuck
  expect(granted).toBe(12);

  // Concurrency share: 4 / 2 workers = 2 in flight for a.
  const held = [await a!.acquire({ tokens: 1 }), await a!.acquire({ tokens: 1 })];
  const controller = new AbortController();
  const third = a!.acquire({ tokens: 1, signal: controller.signal });
  setTimeout(() => controller.abort(new Error('no third slot')), 500);
  await expect(third).rejects.toThrow('no third slot');
  held.forEach((lease) => lease.release());

  // b notices through its heartbeat alone; still one warning each, however many failures since.
  await until(() => b!.stats().mode === 'local', 'b to fall back');
  expect(warnings[0]).toHaveLength(1);
  expect(warnings[1]).toHaveLength(1);

  await redis.start();
  await until(() => a!.stats().mode === 'redis' && b!.stats().mode === 'redis', 'both workers back on Redis');
  const lease = await a!.acquire({ tokens: 1 });
  const admin = createClient({ url: redis.url });
  await admin.connect();
  try {
    expect(await admin.zCard(quotaKeys('fb').leases)).toBe(1); // the slot is counted in Redis again
    await until(() => a!.stats().workers === 2, 'heartbeats re-registered');
    expect(await admin.zCard(quotaKeys('fb').workers)).toBe(2);
  } finally {
    admin.destroy();
  }
  lease.release();
  expect(a!.stats().fallbacks).toBe(1);
  expect(warnings[0]).toHaveLength(1);
});

test('a Redis that stops answering (connections open, no replies): the local share within commandTimeoutMs, one warning; back to Redis once it answers', async () => {
  const warnings: string[] = [];
  const q = await redisQuota({ url: redis.url, key: 'frozen', requestsPerMinute: 600, leaseMs: 600, commandTimeoutMs: 300, onWarning: (m) => warnings.push(m) });
  opened.push(q);
  (await q.acquire({ tokens: 1 })).release();
  await q.flush();
  redis.freeze();
  try {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error('acquire still waiting on a frozen Redis after 5 s')), 5_000);
    const lease = await q.acquire({ tokens: 1, signal: controller.signal }).finally(() => clearTimeout(timer));
    lease.release();
    expect(q.stats()).toMatchObject({ mode: 'local', fallbacks: 1 });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/quota "frozen" falls back to this worker's share/);
  } finally {
    redis.thaw();
  }
  // The connection never dropped, so no reconnect announces it: a heartbeat that gets through does.
  await until(() => q.stats().mode === 'redis', 'the quota back on Redis');
  (await q.acquire({ tokens: 1 })).release();
  expect(q.stats().fallbacks).toBe(1);
  expect(warnings).toHaveLength(1);
});

test('a Redis that accepts connections but does not answer at start: a RedisUnavailableError, not a hang', async () => {
  redis.freeze();
  try {
    const joining = redisQuota({ url: redis.url, key: 'frozen-start', requestsPerMinute: 600, commandTimeoutMs: 300 });
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      joining.then(
        (q) => (opened.push(q), 'joined'),
        (error: unknown) => error,
      ),
      new Promise((resolve) => (timer = setTimeout(() => resolve('still connecting after 8 s'), 8_000))),
    ]);
    clearTimeout(timer);
    expect(outcome).toBeInstanceOf(RedisUnavailableError);
    expect((outcome as Error).message).toMatch(/cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+\/? \(quota\)/);
  } finally {
    redis.thaw();
  }
});

test('a reservation that timed out on a frozen Redis and ran when it thawed holds no concurrency slot once the worker is back on Redis', async () => {
  const q = await redisQuota({ url: redis.url, key: 'late-reserve', maxConcurrency: 1, leaseMs: 10_000, commandTimeoutMs: 300, onWarning: () => undefined });
  opened.push(q);
  const admin = createClient({ url: redis.url });
  await admin.connect();
  try {
    (await q.acquire({ tokens: 1 })).release(); // the script is loaded: a late EVALSHA would run
    await q.flush();
    redis.freeze();
    try {
      // Its RESERVE waits in Redis's socket buffer, times out here (local share), and runs at the thaw.
      (await q.acquire({ tokens: 1, signal: AbortSignal.timeout(5_000) })).release();
      expect(q.stats().mode).toBe('local');
    } finally {
      redis.thaw();
    }
    await until(() => q.stats().mode === 'redis', 'the quota back on Redis');
    await q.flush();
    // No request of this worker is in flight: a lease left in Redis would hold the only slot for leaseMs.
    expect(q.stats().active).toBe(0);
    expect(await admin.zCard(quotaKeys('late-reserve').leases)).toBe(0);
  } finally {
    admin.destroy();
  }
}, 30_000);
