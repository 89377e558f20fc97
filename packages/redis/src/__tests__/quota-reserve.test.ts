/**
 * The reservation script alone, against a real redis-server, under many
 * concurrent callers on several connections. Time is inherent to a rate limit,
 * so the checks read the grant times Redis itself stamped (its `TIME`, inside the
 * script) and assert the GCRA bound on them: in any span of W ms at most
 * `burst + W × rate` requests (and tokens). A racy script would let simultaneous
 * callers through together and break the bound by far.
 */
import { abortableSleep } from '@mlpredict/core/internals';
import { connectRedis } from '../connect-redis';
import { burstOf } from '../quota/quota-limits';
import { quotaKeys } from '../quota/quota-keys';
import { QUOTA_SCRIPTS, type ReserveArgs } from '../quota/quota-scripts';
import { startRedis, type TestRedis } from './redis-server';

type ScriptClient = Awaited<ReturnType<typeof connectScripts>>;
const connectScripts = (url: string) => connectRedis({ url, role: 'test', client: { scripts: QUOTA_SCRIPTS } });

let redis: TestRedis;
let clients: ScriptClient[];

beforeAll(async () => {
  redis = await startRedis();
  clients = await Promise.all([1, 2, 3].map(() => connectScripts(redis.url)));
});
afterAll(async () => {
  for (const client of clients ?? []) client.destroy();
  await redis?.stop();
});

interface Grant {
  at: number;
  tokens: number;
}

/** One caller: reserves until granted, sleeping what the script says; returns the server time of its grant. */
async function reserveUntilGranted(client: ScriptClient, key: string, args: Omit<ReserveArgs, 'leaseId'>, leaseId: string): Promise<Grant> {
  for (;;) {
    const verdict = await client.reserve(quotaKeys(key), { ...args, leaseId });
    if (verdict.granted) return { at: verdict.at, tokens: args.tokens };
    await abortableSleep(verdict.waitMs);
  }
}

/** The most any span of `windowMs` holds, over spans starting at each grant. */
function busiestWindow(grants: Grant[], windowMs: number): { requests: number; tokens: number } {
  const sorted = [...grants].sort((a, b) => a.at - b.at);
  let requests = 0;
  let tokens = 0;
  for (let i = 0; i < sorted.length; i++) {
    let r = 0;
    let t = 0;
    for (let j = i; j < sorted.length && sorted[j]!.at < sorted[i]!.at + windowMs; j++) {
      r++;
      t += sorted[j]!.tokens;
    }
    requests = Math.max(requests, r);
    tokens = Math.max(tokens, t);
  }
  return { requests, tokens };
}

const noLimits = { leaseMs: 10_000, requestsPerMinute: 0, tokensPerMinute: 0, maxConcurrency: 0, requestBurst: 1, tokenBurst: 1 };

test('120 simultaneous callers on 3 connections: no span of Redis time holds more requests than burst + span × rate', async () => {
  const requestsPerMinute = 6_000; // 100/s, burst 10: a run of ~1.1 s
  const args = { ...noLimits, tokens: 1, requestsPerMinute, requestBurst: burstOf(requestsPerMinute) };
  const grants = await Promise.all(
    Array.from({ length: 120 }, (_, i) => reserveUntilGranted(clients[i % 3]!, 'rpm', args, `lease-${i}`)),
  );
  expect(grants).toHaveLength(120);
  const ratePerMs = requestsPerMinute / 60_000;
  for (const windowMs of [50, 200, 1_000]) {
    const bound = burstOf(requestsPerMinute) + windowMs * ratePerMs;
    expect(busiestWindow(grants, windowMs).requests).toBeLessThanOrEqual(bound);
  }
  // The burst is really there: the first ten went at (about) once, not spaced.
  const sorted = grants.map((g) => g.at).sort((a, b) => a - b);
  expect(sorted[9]! - sorted[0]!).toBeLessThan(100);
});

test('token costs of 50–150 from 90 callers: no span holds more tokens than burst + span × rate', async () => {
  const tokensPerMinute = 120_000; // 2000/s, burst 200 ≥ every cost
  const grants = await Promise.all(
    Array.from({ length: 90 }, (_, i) =>
      reserveUntilGranted(
        clients[i % 3]!,
        'tpm',
        { ...noLimits, tokens: 50 + ((i * 37) % 101), tokensPerMinute, tokenBurst: burstOf(tokensPerMinute) },
        `lease-${i}`,
      ),
    ),
  );
  const total = grants.reduce((sum, g) => sum + g.tokens, 0);
  expect(total).toBeGreaterThan(8_000); // ~4 s of allowance: a run long enough to mean something
  const ratePerMs = tokensPerMinute / 60_000;
  for (const windowMs of [100, 500, 2_000]) {
    expect(busiestWindow(grants, windowMs).tokens).toBeLessThanOrEqual(burstOf(tokensPerMinute) + windowMs * ratePerMs + 1e-6);
  }
});

test('a cost above the burst waits for a full bucket, then runs it into debt (delayed, never refused)', async () => {
  const tokensPerMinute = 60_000; // 1000/s, burst 100
  const args = { ...noLimits, tokensPerMinute, tokenBurst: burstOf(tokensPerMinute) };
  const big = await clients[0]!.reserve(quotaKeys('debt'), { ...args, tokens: 500, leaseId: 'big' });
  expect(big.granted).toBe(true);
  const next = await clients[1]!.reserve(quotaKeys('debt'), { ...args, tokens: 10, leaseId: 'small' });
  // 500 tokens of debt at 1000/s: the next may go after ~400 ms (its 10 fit once 100 - 10 have refilled).
  expect(next).toEqual({ granted: false, reason: 'tokens', waitMs: expect.any(Number) });
  if (!next.granted) {
    expect(next.waitMs).toBeGreaterThan(300);
    expect(next.waitMs).toBeLessThanOrEqual(410);
  }
});

test('maxConcurrency: 40 callers on 3 connections never hold more than 4 leases; a release frees a slot at once', async () => {
  const keys = quotaKeys('conc');
  const args = { ...noLimits, tokens: 1, maxConcurrency: 4 };
  const verdicts = await Promise.all(Array.from({ length: 40 }, (_, i) => clients[i % 3]!.reserve(keys, { ...args, leaseId: `l${i}` })));
  expect(verdicts.filter((v) => v.granted)).toHaveLength(4);
  expect(verdicts.filter((v) => !v.granted && v.reason === 'concurrency')).toHaveLength(36);
  expect(await clients[0]!.zCard(keys.leases)).toBe(4);

  const holder = verdicts.findIndex((v) => v.granted);
  await clients[0]!.release(keys, { leaseId: `l${holder}`, reservedTokens: 1, usedTokens: -1, tokensPerMinute: 0 });
  const again = await Promise.all(Array.from({ length: 5 }, (_, i) => clients[i % 3]!.reserve(keys, { ...args, leaseId: `m${i}` })));
  expect(again.filter((v) => v.granted)).toHaveLength(1);
});
