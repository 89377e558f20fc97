/**
 * `redisQuota` through its public face, several instances (workers) on one real
 * redis-server: shared concurrency, token reconciliation, the shared pause and
 * the slowdown after 429s, abort, and the errors a user gets. Assertions read Redis state and count;
 * where a wait is the point, they compare Redis's own clock with the deadline
 * Redis stored.
 */
import { createClient } from '@redis/client';
import { redisQuota, RedisUnavailableError, type RedisQuota } from '../index';
import { quotaKeys } from '../quota/quota-keys';
import { SLOW_MAX, SLOW_STEP } from '../quota/quota-scripts';
import { startRedis, type TestRedis } from './redis-server';

let redis: TestRedis;
let admin: ReturnType<typeof createClient>;
const opened: RedisQuota[] = [];

beforeAll(async () => {
  redis = await startRedis();
  admin = createClient({ url: redis.url });
  await admin.connect();
});
afterEach(async () => {
  await Promise.all(opened.splice(0).map((q) => q.close()));
});
afterAll(async () => {
  admin?.destroy();
  await redis?.stop();
});

async function quota(key: string, options: Partial<Parameters<typeof redisQuota>[0]> = {}): Promise<RedisQuota> {
  const q = await redisQuota({ url: redis.url, key, onWarning: () => undefined, ...options });
  opened.push(q);
  return q;
}

/** Redis's clock, ms. */
async function serverNow(): Promise<number> {
  const [seconds, micros] = (await admin.sendCommand(['TIME'])) as [string, string];
  return Number(seconds) * 1000 + Number(micros) / 1000;
}

/** Tokens the bucket is in debt by: (tat − now) × rate. */
async function tokenDebt(key: string, tokensPerMinute: number): Promise<number> {
  const tat = Number((await admin.hGet(quotaKeys(key).rates, 'tok')) ?? 0);
  return Math.max(0, tat - (await serverNow())) * (tokensPerMinute / 60_000);
}

describe('options and start', () => {
  test('a bad option fails at once with a TypeError naming it', async () => {
    await expect(redisQuota({ url: 'localhost:6379', key: 'k' })).rejects.toThrow(/url must be a Redis URL such as "redis:\/\/127.0.0.1:6379"/);
    await expect(redisQuota({ url: redis.url, key: '' })).rejects.toThrow(/key must be a non-empty string/);
    await expect(redisQuota({ url: redis.url, key: 'k', maxConcurrency: 2.5 })).rejects.toThrow(/maxConcurrency must be a positive integer \(got 2.5\)/);
    await expect(redisQuota({ url: redis.url, key: 'k', requestsPerMinute: -1 })).rejects.toThrow(TypeError);
    await expect(redisQuota({ url: redis.url, key: 'k', leaseMs: 10 })).rejects.toThrow(/leaseMs must be a positive number of at least 100/);
  });

  test('unreachable Redis at start: RedisUnavailableError with code and URL (password hidden)', async () => {
    const error = await redisQuota({ url: 'redis://:secret@127.0.0.1:1', key: 'k' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RedisUnavailableError);
    expect(error).toMatchObject({ code: 'redis_unavailable' });
    expect((error as Error).message).toMatch(/cannot reach Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:1 \(quota\)/);
    expect((error as Error).message).not.toContain('secret');
  });

  test('each worker registers a heartbeat; stats count the workers alive', async () => {
    const a = await quota('hb');
    await quota('hb');
    const c = await quota('hb');
    expect(await admin.zCard(quotaKeys('hb').workers)).toBe(3);
    expect(c.stats()).toMatchObject({ mode: 'redis', workers: 3, active: 0 });
    await a.close();
    expect(await admin.zCard(quotaKeys('hb').workers)).toBe(2);
  });
});

describe('concurrency', () => {
  test('3 workers, maxConcurrency 3: 30 requests never overlap more than 3, and all go', async () => {
    const workers = await Promise.all([1, 2, 3].map(() => quota('conc', { maxConcurrency: 3 })));
    let inFlight = 0;
    let peak = 0;
    let peakInRedis = 0;
    await Promise.all(
      Array.from({ length: 30 }, async (_, i) => {
        const lease = await workers[i % 3]!.acquire({ tokens: 1 });
        inFlight++;
        peak = Math.max(peak, inFlight);
        peakInRedis = Math.max(peakInRedis, await admin.zCard(quotaKeys('conc').leases));
        await new Promise((resolve) => setTimeout(resolve, 5 + (i % 4) * 5));
        inFlight--;
        lease.release();
      }),
    );
    expect(peak).toBe(3);
    expect(peakInRedis).toBeLessThanOrEqual(3);
    expect(workers.reduce((sum, w) => sum + w.stats().granted, 0)).toBe(30);
    await Promise.all(workers.map((w) => w.flush()));
    expect(await admin.zCard(quotaKeys('conc').leases)).toBe(0);
  });

  test('a lease held past leaseMs by a live worker is renewed, not taken', async () => {
    const leaseMs = 300;
    const holder = await quota('renew', { maxConcurrency: 1, leaseMs });
    const other = await quota('renew', { maxConcurrency: 1, leaseMs });
    const lease = await holder.acquire({ tokens: 1 });
    let otherGot = false;
    const waiting = other.acquire({ tokens: 1 }).then((l) => {
      otherGot = true;
      return l;
    });
    // Four lease lifetimes: without renewal the slot would have expired three times over.
    await new Promise((resolve) => setTimeout(resolve, 4 * leaseMs));
    expect(otherGot).toBe(false);
    expect(await admin.zCard(quotaKeys('renew').leases)).toBe(1);
    lease.release();
    (await waiting).release();
    expect(otherGot).toBe(true);
  });
});

describe('tokens', () => {
  const tokensPerMinute = 60_000; // 1000 tokens/s: 1 ms of Redis time is 1 token

  test('release with usage reconciles: an overestimate is handed back, an underestimate charged', async () => {
    const q = await quota('recon-over', { tokensPerMinute });
    const lease = await q.acquire({ tokens: 5_000 });
    const charged = await tokenDebt('recon-over', tokensPerMinute);
    expect(charged).toBeGreaterThan(4_800); // ~5000 minus the refill since (a few ms)
    lease.release({ usage: { promptTokens: 800, completionTokens: 200 } });
    await q.flush();
    const after = await tokenDebt('recon-over', tokensPerMinute);
    // 4000 handed back: the debt is what 1000 tokens cost, less the refill meanwhile (generous 300 ms margin).
    expect(after).toBeLessThanOrEqual(1_000);
    expect(after).toBeGreaterThan(700);

    const under = await quota('recon-under', { tokensPerMinute });
    const small = await under.acquire({ tokens: 100 });
    small.release({ usage: { promptTokens: 2_500, completionTokens: 500 } });
    await under.flush();
    const debt = await tokenDebt('recon-under', tokensPerMinute);
    expect(debt).toBeLessThanOrEqual(3_000);
    expect(debt).toBeGreaterThan(2_700);
  });

  test('release without usage leaves the estimate charged', async () => {
    const q = await quota('recon-none', { tokensPerMinute });
    const lease = await q.acquire({ tokens: 4_000 });
    lease.release();
    await q.flush();
    expect(await tokenDebt('recon-none', tokensPerMinute)).toBeGreaterThan(3_700);
  });

  test('the debt of one worker holds back another', async () => {
    const a = await quota('tok-shared', { tokensPerMinute });
    const b = await quota('tok-shared', { tokensPerMinute });
    (await a.acquire({ tokens: 600 })).release();
    const tat = Number(await admin.hGet(quotaKeys('tok-shared').rates, 'tok'));
    (await b.acquire({ tokens: 50 })).release();
    // b's 50 fit once the bucket is back to ≥ 50 of its 100-token burst, i.e. ≥ 50 ms before the tat.
    expect(await serverNow()).toBeGreaterThanOrEqual(tat - 50);
  });
});

describe('pause', () => {
  test('a pause by one worker delays another worker’s acquire until the shared deadline', async () => {
    const a = await quota('pause');
    const b = await quota('pause');
    const resumesAt = a.pause(400);
    expect(resumesAt).toBeGreaterThan(Date.now() + 300);
    await a.flush();
    const until = Number(await admin.get(quotaKeys('pause').pause));
    expect(until).toBeGreaterThan(await serverNow());
    (await b.acquire({ tokens: 1 })).release();
    // b was granted only once Redis's clock had passed the stored deadline.
    expect(await serverNow()).toBeGreaterThanOrEqual(until);
  });

  test('pause extends, never shortens', async () => {
    const a = await quota('pause-extend');
    a.pause(2_000);
    await a.flush();
    const first = Number(await admin.get(quotaKeys('pause-extend').pause));
    a.pause(100);
    await a.flush();
    expect(Number(await admin.get(quotaKeys('pause-extend').pause))).toBe(first);
    a.pause(5_000);
    await a.flush();
    expect(Number(await admin.get(quotaKeys('pause-extend').pause))).toBeGreaterThan(first + 2_000);
  });
});

describe('slowing down after 429s', () => {
  /** The stored slowdown, and when it was last raised (server ms). */
  async function slowdown(key: string): Promise<{ slow: number; at: number }> {
    const [slow, at] = await admin.hmGet(quotaKeys(key).rates, ['slow', 'slowAt']);
    return { slow: Number(slow ?? 0), at: Number(at ?? 0) };
  }

  test('a 429 (pause) stretches the shared request interval by 3% for every worker; 429s within a second count once', async () => {
    const a = await quota('slow', { requestsPerMinute: 600 }); // one request per 100 ms
    const b = await quota('slow', { requestsPerMinute: 600 });
    a.pause(1);
    b.pause(1); // the same overload, seen by another worker: no second step
    await Promise.all([a.flush(), b.flush()]);
    expect((await slowdown('slow')).slow).toBeCloseTo(SLOW_STEP, 6);

    // b's next grant moves the shared bucket on by 103 ms, not 100.
    (await b.acquire({ tokens: 1 })).release();
    const grantedBefore = await serverNow();
    const tat = Number(await admin.hGet(quotaKeys('slow').rates, 'req'));
    expect(tat - grantedBefore).toBeGreaterThan(100);
    expect(tat - grantedBefore).toBeLessThanOrEqual(100 * (1 + SLOW_STEP));
  });

  test('each new overload adds a step, up to the cap; the slowdown decays with a 60 s half-life', async () => {
    const q = await quota('slow-steps', { requestsPerMinute: 600 });
    const key = quotaKeys('slow-steps').rates;
    // Raised a second ago: the next 429 is a new overload (the second's decay is 1.15%).
    let expected = 0;
    for (let i = 1; i <= 12; i++) {
      await admin.hSet(key, 'slowAt', String((await serverNow()) - 1_000));
      q.pause(1);
      await q.flush();
      expected = Math.min(SLOW_MAX, expected * 0.5 ** (1 / 60) + SLOW_STEP);
      expect((await slowdown('slow-steps')).slow).toBeCloseTo(expected, 3);
    }
    expect(expected).toBe(SLOW_MAX);
    // A minute without 429s: half of it is left, and the next step starts from there.
    await admin.hSet(key, { slow: '0.2', slowAt: String((await serverNow()) - 60_000) });
    q.pause(1);
    await q.flush();
    expect((await slowdown('slow-steps')).slow).toBeCloseTo(0.1 + SLOW_STEP, 2);
  });
});

describe('abort and close', () => {
  test('abort rejects a waiting acquire at once with the reason, and leaves no lease behind', async () => {
    const q = await quota('abort', { maxConcurrency: 1 });
    const held = await q.acquire({ tokens: 1 });
    const controller = new AbortController();
    const waiting = q.acquire({ tokens: 1, signal: controller.signal });
    await new Promise((resolve) => setTimeout(resolve, 60)); // it is polling for the slot now
    const reason = new Error('stop waiting');
    controller.abort(reason);
    await expect(waiting).rejects.toBe(reason); // while the slot is still held
    expect(await admin.zCard(quotaKeys('abort').leases)).toBe(1);
    expect(q.stats().active).toBe(1);
    held.release();
    (await q.acquire({ tokens: 1 })).release(); // the aborted waiter took nothing
    expect(q.stats().granted).toBe(2);
  });

  test('an already aborted signal rejects without asking Redis', async () => {
    const q = await quota('abort-early', { maxConcurrency: 1 });
    const controller = new AbortController();
    controller.abort(new Error('gone'));
    await expect(q.acquire({ tokens: 1, signal: controller.signal })).rejects.toThrow('gone');
    expect(q.stats().granted).toBe(0);
  });

  test('close wakes waiting acquires with an error and frees this worker’s slots in Redis', async () => {
    const q = await quota('close', { maxConcurrency: 1 });
    await q.acquire({ tokens: 1 });
    const waiting = q.acquire({ tokens: 1 });
    await q.close();
    await expect(waiting).rejects.toThrow(/quota "close" is closed/);
    expect(await admin.zCard(quotaKeys('close').leases)).toBe(0);
    await expect(q.acquire({ tokens: 1 })).rejects.toThrow(/closed/);
  });
});
