/**
 * The Lua scripts that make the shared quota atomic. Each reads the server's
 * clock (`TIME`), so workers on machines whose clocks disagree still share one
 * timeline; only durations cross the wire. The client sends `EVALSHA` and falls
 * back to `EVAL` on `NOSCRIPT` (after a Redis restart or `SCRIPT FLUSH`).
 *
 * Rates are GCRA (the generic cell rate algorithm, a token bucket kept as one
 * number): each bucket stores its theoretical arrival time `tat`; `tat - now` is
 * how long the bucket needs to refill, so a request costing `c` may go when
 * `tat - now <= (burst - min(c, burst)) * interval`, and going moves `tat` on by
 * `c * interval`. A cost above the burst waits for a full bucket and then runs
 * it into debt (it is delayed, never refused), like core's local `TokenBucket`.
 *
 * A 429 also slows the shared pace a little for a while (the `slow` field):
 * spacing requests exactly at the provider's rate leaves no room for the jitter
 * between a grant and the request reaching the provider (a stalled event loop,
 * a cold connection), and a provider counting in a sliding window refuses the
 * request that arrives a few ms early. Each 429 adds SLOW_STEP to the interval
 * (at most one step a second, up to SLOW_MAX); the slowdown halves every
 * SLOW_HALF_LIFE_MS, so the pace returns to the full quota once 429s stop.
 */
import { defineScript, type CommandParser } from '@redis/client';
import type { QuotaKeys } from './quota-keys.js';

/** Lua: the server's clock in ms (with µs as a fraction). */
const SERVER_NOW = `
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + tonumber(clock[2]) / 1000
`;

/** What one 429 adds to the interval between requests (3%). */
export const SLOW_STEP = 0.03;
/** The most the pace slows after 429s: intervals 25% longer (the quota at 80%). */
export const SLOW_MAX = 0.25;
/** The slowdown halves this often without a new 429. */
export const SLOW_HALF_LIFE_MS = 60_000;
/** 429s closer together than this are one overload: one step. */
export const SLOW_STEP_EVERY_MS = 1_000;

/** Lua: `slowdown(ratesKey, now)`, the current slowdown (a fraction of the interval), decayed since it was last raised. */
const SLOWDOWN = `
local function slowdown(rates, now)
  local slow = tonumber(redis.call('HGET', rates, 'slow') or '0')
  if slow <= 0 then return 0 end
  local since = math.max(0, now - tonumber(redis.call('HGET', rates, 'slowAt') or '0'))
  return slow * 0.5 ^ (since / ${SLOW_HALF_LIFE_MS})
end
`;

/** Why a reservation must wait. */
export type WaitReason = 'paused' | 'concurrency' | 'requests' | 'tokens';

export type ReserveVerdict =
  | { granted: true; /** Server time of the grant (ms). */ at: number }
  | { granted: false; waitMs: number; reason: WaitReason };

export interface ReserveArgs {
  leaseId: string;
  tokens: number;
  leaseMs: number;
  /** 0: no limit. */
  requestsPerMinute: number;
  tokensPerMinute: number;
  maxConcurrency: number;
  requestBurst: number;
  tokenBurst: number;
}

/**
 * Reserve one request: nothing if a pause is on, the concurrency is full, or a
 * bucket is short (then the wait in ms and why); else both buckets are charged
 * and a lease added, all at once.
 */
export const RESERVE = defineScript({
  NUMBER_OF_KEYS: 3,
  SCRIPT: `${SERVER_NOW}
local paused = tonumber(redis.call('GET', KEYS[3]) or '0')
if paused > now then return {0, math.ceil(paused - now), 'paused'} end

local maxConcurrency = tonumber(ARGV[6])
if maxConcurrency > 0 then
  -- leases of workers that died without releasing expire here
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
  if redis.call('ZCARD', KEYS[2]) >= maxConcurrency then
    local first = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
    return {0, math.max(1, math.ceil(tonumber(first[2]) - now)), 'concurrency'}
  end
end

${SLOWDOWN}
local slower = 1 + slowdown(KEYS[1], now)
-- returns the wait (ms, 0 when it may go) and the bucket's new tat
local function bucket(field, perMinute, cost, burst)
  if perMinute <= 0 then return 0, nil end
  local interval = 60000 / perMinute * slower
  local tat = tonumber(redis.call('HGET', KEYS[1], field) or '0')
  if tat < now then tat = now end
  local wait = (tat - now) - (burst - math.min(cost, burst)) * interval
  if wait > 0 then return wait, nil end
  return 0, tat + cost * interval
end
local requestWait, requestTat = bucket('req', tonumber(ARGV[4]), 1, tonumber(ARGV[7]))
local tokenWait, tokenTat = bucket('tok', tonumber(ARGV[5]), tonumber(ARGV[2]), tonumber(ARGV[8]))
if requestWait > 0 or tokenWait > 0 then
  if requestWait >= tokenWait then return {0, math.ceil(requestWait), 'requests'} end
  return {0, math.ceil(tokenWait), 'tokens'}
end

local latest = now
if requestTat then
  redis.call('HSET', KEYS[1], 'req', string.format('%.3f', requestTat))
  latest = math.max(latest, requestTat)
end
if tokenTat then
  redis.call('HSET', KEYS[1], 'tok', string.format('%.3f', tokenTat))
  latest = math.max(latest, tokenTat)
end
-- a quota nobody uses for a minute past its last refill leaves nothing behind
if requestTat or tokenTat then redis.call('PEXPIRE', KEYS[1], math.ceil(latest - now) + 60000) end
if maxConcurrency > 0 then
  redis.call('ZADD', KEYS[2], now + tonumber(ARGV[3]), ARGV[1])
  redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[3]) + 60000)
end
return {1, 0, 'granted', string.format('%.3f', now)}
`,
  parseCommand(parser: CommandParser, keys: QuotaKeys, args: ReserveArgs) {
    parser.pushKey(keys.rates);
    parser.pushKey(keys.leases);
    parser.pushKey(keys.pause);
    parser.push(
      args.leaseId,
      String(args.tokens),
      String(args.leaseMs),
      String(args.requestsPerMinute),
      String(args.tokensPerMinute),
      String(args.maxConcurrency),
      String(args.requestBurst),
      String(args.tokenBurst),
    );
  },
  transformReply(reply: unknown): ReserveVerdict {
    const [granted, waitMs, reason, at] = reply as [number, number, string, string?];
    return granted === 1 ? { granted: true, at: Number(at) } : { granted: false, waitMs: Number(waitMs), reason: reason as WaitReason };
  },
});

export interface ReleaseArgs {
  leaseId: string;
  /** Tokens charged at `acquire`. */
  reservedTokens: number;
  /** Tokens the server counted; -1 when unknown (nothing to reconcile). */
  usedTokens: number;
  tokensPerMinute: number;
}

/**
 * End a request: free its concurrency slot and reconcile its tokens: the unused
 * part of an overestimate goes back into the bucket (never fuller than full), an
 * underestimate is charged now.
 */
export const RELEASE = defineScript({
  NUMBER_OF_KEYS: 2,
  SCRIPT: `${SERVER_NOW}${SLOWDOWN}
redis.call('ZREM', KEYS[2], ARGV[1])
local used = tonumber(ARGV[3])
local perMinute = tonumber(ARGV[4])
if used < 0 or perMinute <= 0 then return 0 end
local delta = used - tonumber(ARGV[2])
if delta == 0 then return 0 end
local tat = tonumber(redis.call('HGET', KEYS[1], 'tok') or '0')
if tat < now then tat = now end
tat = tat + delta * 60000 / perMinute * (1 + slowdown(KEYS[1], now))
if tat < now then tat = now end
redis.call('HSET', KEYS[1], 'tok', string.format('%.3f', tat))
redis.call('PEXPIRE', KEYS[1], math.ceil(tat - now) + 60000)
return 1
`,
  parseCommand(parser: CommandParser, keys: QuotaKeys, args: ReleaseArgs) {
    parser.pushKey(keys.rates);
    parser.pushKey(keys.leases);
    parser.push(args.leaseId, String(args.reservedTokens), String(args.usedTokens), String(args.tokensPerMinute));
  },
  transformReply(reply: unknown): number {
    return Number(reply);
  },
});

export interface HeartbeatArgs {
  workerId: string;
  /** A worker not heard from for this long is gone (and so are its leases). */
  workerTtlMs: number;
  leaseMs: number;
  /** Leases this worker still holds: renewed, but only if they have not expired. */
  leaseIds: readonly string[];
}

/** A worker says it is alive and renews its leases; returns how many workers are alive. */
export const HEARTBEAT = defineScript({
  NUMBER_OF_KEYS: 2,
  SCRIPT: `${SERVER_NOW}
local ttl = tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('PEXPIRE', KEYS[1], ttl + 60000)
local leaseMs = tonumber(ARGV[3])
for i = 4, #ARGV do
  -- XX: a lease that already expired (this worker stalled past leaseMs) is not brought back
  redis.call('ZADD', KEYS[2], 'XX', now + leaseMs, ARGV[i])
end
return redis.call('ZCARD', KEYS[1])
`,
  parseCommand(parser: CommandParser, keys: QuotaKeys, args: HeartbeatArgs) {
    parser.pushKey(keys.workers);
    parser.pushKey(keys.leases);
    parser.push(args.workerId, String(args.workerTtlMs), String(args.leaseMs), ...args.leaseIds);
  },
  transformReply(reply: unknown): number {
    return Number(reply);
  },
});

/** A worker leaves: out of the live set, its leases freed. */
export const LEAVE = defineScript({
  NUMBER_OF_KEYS: 2,
  SCRIPT: `
redis.call('ZREM', KEYS[1], ARGV[1])
for i = 2, #ARGV do redis.call('ZREM', KEYS[2], ARGV[i]) end
return 1
`,
  parseCommand(parser: CommandParser, keys: QuotaKeys, workerId: string, leaseIds: readonly string[]) {
    parser.pushKey(keys.workers);
    parser.pushKey(keys.leases);
    parser.push(workerId, ...leaseIds);
  },
  transformReply(reply: unknown): number {
    return Number(reply);
  },
});

/**
 * After a 429: nobody sends for `ms` from the server's now (extends a current
 * pause, never shortens it), and the pace slows by SLOW_STEP (see above).
 * Returns the ms left.
 */
export const PAUSE = defineScript({
  NUMBER_OF_KEYS: 2,
  SCRIPT: `${SERVER_NOW}${SLOWDOWN}
local slowAt = tonumber(redis.call('HGET', KEYS[2], 'slowAt') or '0')
if now - slowAt >= ${SLOW_STEP_EVERY_MS} then
  local slow = math.min(${SLOW_MAX}, slowdown(KEYS[2], now) + ${SLOW_STEP})
  redis.call('HSET', KEYS[2], 'slow', string.format('%.6f', slow), 'slowAt', string.format('%.3f', now))
  -- kept while it matters; a quota in use keeps the key alive anyway
  if redis.call('PTTL', KEYS[2]) < ${4 * SLOW_HALF_LIFE_MS} then redis.call('PEXPIRE', KEYS[2], ${4 * SLOW_HALF_LIFE_MS}) end
end
local ms = tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local untilMs = now + ms
if untilMs > current then
  redis.call('SET', KEYS[1], string.format('%.3f', untilMs), 'PX', math.ceil(ms))
  return math.ceil(ms)
end
return math.ceil(current - now)
`,
  parseCommand(parser: CommandParser, keys: QuotaKeys, ms: number) {
    parser.pushKey(keys.pause);
    parser.pushKey(keys.rates);
    parser.push(String(ms));
  },
  transformReply(reply: unknown): number {
    return Number(reply);
  },
});

export const QUOTA_SCRIPTS = { reserve: RESERVE, release: RELEASE, heartbeat: HEARTBEAT, leave: LEAVE, pause: PAUSE };
