/**
 * A worker that dies holding a concurrency slot (SIGKILL: no cleanup at all)
 * frees it after `leaseMs`, not before and not never. The worker is a real
 * child process running the built package; `beforeAll` builds core and this
 * package first so it never runs a stale build.
 */
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { createClient } from '@redis/client';
import { redisQuota, type RedisQuota } from '../index';
import { quotaKeys } from '../quota/quota-keys';
import { startRedis, type TestRedis } from './redis-server';

const root = resolve(__dirname, '../../../..');
let redis: TestRedis;
let admin: ReturnType<typeof createClient>;
let child: ChildProcess | undefined;
let quota: RedisQuota | undefined;

beforeAll(async () => {
  for (const pkg of ['core', 'redis']) execFileSync('pnpm', ['run', 'build'], { cwd: join(root, 'packages', pkg), stdio: 'pipe' });
  redis = await startRedis();
  admin = createClient({ url: redis.url });
  await admin.connect();
}, 120_000);
afterAll(async () => {
  child?.kill('SIGKILL');
  await quota?.close();
  admin?.destroy();
  await redis?.stop();
});

async function serverNow(): Promise<number> {
  const [seconds, micros] = (await admin.sendCommand(['TIME'])) as [string, string];
  return Number(seconds) * 1000 + Number(micros) / 1000;
}

test('the slot of a SIGKILLed worker frees when its lease expires, and another worker gets it then', async () => {
  const leaseMs = 800;
  const key = 'killed';
  const worker = fork(join(__dirname, 'fixtures/hold-lease.mjs'), [redis.url, key, String(leaseMs)], { stdio: 'inherit' });
  child = worker;
  await new Promise<void>((resolveHeld, reject) => {
    worker.once('message', () => resolveHeld());
    worker.once('exit', (code) => reject(new Error(`worker exited with ${code} before holding a lease`)));
  });
  const leases = quotaKeys(key).leases;
  expect(await admin.zCard(leases)).toBe(1);

  const exited = new Promise((resolveExit) => worker.once('exit', resolveExit));
  worker.kill('SIGKILL');
  await exited;
  // Dead: nobody renews the lease any more, so its score is its expiry.
  const [deadLease] = await admin.zRangeWithScores(leases, 0, -1);
  expect(deadLease).toBeDefined();
  expect(deadLease!.score).toBeGreaterThan(await serverNow());

  quota = await redisQuota({ url: redis.url, key, maxConcurrency: 1, leaseMs });
  const lease = await quota.acquire({ tokens: 1 });
  // Granted only once Redis's clock passed the dead lease's expiry…
  expect(await serverNow()).toBeGreaterThanOrEqual(deadLease!.score);
  // …and the dead lease is gone, replaced by ours.
  const members = await admin.zRange(leases, 0, -1);
  expect(members).toHaveLength(1);
  expect(members[0]).not.toBe(deadLease!.value);
  lease.release();
});
