/**
 * One provider quota shared by every worker that holds the same key: requests
 * and tokens per minute (GCRA buckets in Redis), requests in flight (leases that
 * expire when their worker dies), and the pause after a 429. While Redis is
 * unreachable each worker keeps a local share of 1/N, and goes back to Redis
 * when it returns.
 */
import { randomUUID } from 'node:crypto';
import type { Quota, QuotaLease, QuotaOutcome, QuotaRequest } from '@mlpredict/core';
import { abortReason, abortableSleep } from '@mlpredict/core/internals';
import { connectRedis, openRedisConnection, redactUrl, type RedisConnection } from '../connect-redis.js';
import { errorMessage, isRedisUnavailable } from '../redis-unavailable.js';
import { LocalShare } from './local-share.js';
import { checkName, checkPositive, checkRedisUrl } from '../check-options.js';
import { burstOf, type QuotaLimits } from './quota-limits.js';
import { quotaKeys, type QuotaKeys } from './quota-keys.js';
import { QUOTA_SCRIPTS } from './quota-scripts.js';
import { SlotCount } from './slot-count.js';

export interface RedisQuotaOptions extends QuotaLimits {
  /** `redis://[[user]:password@]host[:port][/db]` (or `rediss://`). */
  url: string;
  /** The quota's name: every worker with the same key shares one quota (e.g. the provider account and model). */
  key: string;
  /**
   * How long a request's concurrency slot outlives its worker: a worker that dies
   * holding a slot frees it after this. Live workers renew their slots every
   * `leaseMs / 3`, so a request may run longer than this.
   * @default 30000
   */
  leaseMs?: number;
  /**
   * Called once when Redis becomes unreachable mid-run and this worker falls back
   * to its local share.
   * @default console.warn
   */
  onWarning?: (message: string) => void;
  /**
   * A Redis command without a reply after this long counts as Redis unreachable.
   * @default 2000
   */
  commandTimeoutMs?: number;
}

/** What a quota has done, for logs and tests. */
export interface RedisQuotaStats {
  /** `'redis'`: shared; `'local'`: Redis unreachable, this worker on its 1/N share. */
  mode: 'redis' | 'local';
  /** Workers alive (heartbeats within `leaseMs`) when last asked; the N of the local share. */
  workers: number;
  /** This worker's requests in flight. */
  active: number;
  /** Leases this worker was granted (through Redis or locally). */
  granted: number;
  /** Times this worker fell back to its local share. */
  fallbacks: number;
}

/** A `Quota` shared through Redis. */
export interface RedisQuota extends Quota {
  stats(): RedisQuotaStats;
  /** Resolves when every release and pause sent so far has reached Redis (or failed to). */
  flush(): Promise<void>;
  /** Leaves the quota: heartbeats stop, this worker's slots are freed, the connection closes. Idempotent. */
  close(): Promise<void>;
}

const DEFAULT_LEASE_MS = 30_000;
const DEFAULT_COMMAND_TIMEOUT_MS = 2_000;
/** How often a worker waiting for a concurrency slot asks again (another worker's release doesn't notify). */
const SLOT_POLL_MS = 25;

/**
 * Connects to Redis and joins the quota named `key`. Throws a
 * `RedisUnavailableError` (code `'redis_unavailable'`) at once when Redis can't be
 * reached, and a TypeError naming the option for a bad option.
 *
 * @example
 * import { openAIModel } from '@mlpredict/core';
 * import { redisQuota } from '@mlpredict/redis';
 *
 * const quota = await redisQuota({ url: 'redis://127.0.0.1:6379', key: 'openai/gpt-4o-mini', requestsPerMinute: 600, tokensPerMinute: 200_000, maxConcurrency: 16 });
 * const model = openAIModel({ model: 'gpt-4o-mini', quota });
 * // …
 * await quota.close();
 */
export async function redisQuota(options: RedisQuotaOptions): Promise<RedisQuota> {
  checkOptions(options);
  const quota = new SharedQuota(options);
  await quota.start();
  return quota;
}

function checkOptions(options: RedisQuotaOptions): void {
  if (options === null || typeof options !== 'object') throw new TypeError('redisQuota needs an options object: { url, key, requestsPerMinute?, … }');
  checkRedisUrl('url', options.url);
  checkName('key', options.key, 'openai/gpt-4o-mini');
  checkPositive('requestsPerMinute', options.requestsPerMinute);
  checkPositive('tokensPerMinute', options.tokensPerMinute);
  checkPositive('maxConcurrency', options.maxConcurrency, { integer: true });
  checkPositive('leaseMs', options.leaseMs, { min: 100 });
  checkPositive('commandTimeoutMs', options.commandTimeoutMs);
  if (options.onWarning !== undefined && typeof options.onWarning !== 'function') {
    throw new TypeError('onWarning must be a function (message: string) => void');
  }
}

type QuotaClient = Awaited<ReturnType<typeof connectQuotaClient>>;

function connectQuotaClient(options: RedisQuotaOptions) {
  return connectRedis({
    url: options.url,
    role: 'quota',
    commandTimeoutMs: options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
    client: { scripts: QUOTA_SCRIPTS },
  });
}

/** A lease granted through Redis (`id` set) or by the local share (`id` undefined). */
interface HeldLease {
  id?: string;
  tokens: number;
  endSlot: () => void;
}

class SharedQuota implements RedisQuota {
  readonly #options: RedisQuotaOptions;
  readonly #limits: QuotaLimits;
  readonly #keys: QuotaKeys;
  readonly #leaseMs: number;
  readonly #commandTimeoutMs: number;
  readonly #workerId = randomUUID();
  #client?: RedisConnection<QuotaClient>;
  /**
   * Reservations whose reply never came: Redis may have granted them (late, once
   * it answered again) to no one. Their leases are freed once Redis is back.
   */
  readonly #unanswered = new Set<string>();
  #mode: 'redis' | 'local' = 'redis';
  #local?: LocalShare;
  #workers = 1;
  #granted = 0;
  #fallbacks = 0;
  #leaseCount = 0;
  #closed = false;
  /** Until when this worker knows nobody may send (epoch ms, local clock). */
  #pausedUntil = 0;
  readonly #slots = new SlotCount();
  readonly #held = new Map<string, HeldLease>();
  readonly #pending = new Set<Promise<unknown>>();
  /** Waiters take turns asking Redis, first come first served, so a worker polls with one caller at a time. */
  #turn: Promise<void> = Promise.resolve();
  #heartbeat?: ReturnType<typeof setInterval>;
  /** Aborted by close(): wakes every waiting acquire. */
  readonly #closing = new AbortController();

  constructor(options: RedisQuotaOptions) {
    this.#options = options;
    this.#limits = { requestsPerMinute: options.requestsPerMinute, tokensPerMinute: options.tokensPerMinute, maxConcurrency: options.maxConcurrency };
    this.#keys = quotaKeys(options.key);
    this.#leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    this.#commandTimeoutMs = options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
  }

  /**
   * A quota command's reply, or unavailable after commandTimeoutMs (a Redis that
   * stopped answering must not hold acquires); the connection of a late reply is
   * replaced, so what was queued on it never runs later.
   */
  #reply<T>(command: (client: QuotaClient) => Promise<T>, what: string): Promise<T> {
    return this.#client!.reply(command, what);
  }

  /** Connects and says hello (the first heartbeat); throws when Redis can't be reached. */
  async start(): Promise<void> {
    this.#client = await openRedisConnection({
      open: () => connectQuotaClient(this.#options),
      commandTimeoutMs: this.#commandTimeoutMs,
      onOpen: (client) => void client.on('ready', () => this.#onReconnected()),
    });
    try {
      this.#workers = await this.#reply((client) => client.heartbeat(this.#keys, this.#heartbeatArgs()), 'heartbeat');
    } catch (error) {
      this.#client.destroy();
      throw error;
    }
    this.#heartbeat = setInterval(() => this.#track(this.#beat()), this.#leaseMs / 3);
    this.#heartbeat.unref(); // close() stops it; a forgotten quota must not keep the process alive
  }

  acquire(request: QuotaRequest): Promise<QuotaLease> {
    const { tokens, signal } = request;
    if (this.#closed) return Promise.reject(new Error(`quota "${this.#options.key}" is closed`));
    if (!Number.isFinite(tokens) || tokens < 0) return Promise.reject(new TypeError(`acquire: tokens must be a number ≥ 0 (got ${tokens})`));
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    return new Promise<QuotaLease>((resolve, reject) => {
      let settled = false;
      const onAbort = () => {
        settled = true;
        reject(abortReason(signal!));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#inTurn(async () => {
        let lease: QuotaLease | undefined;
        // One signal for the waits: the caller's abort or close(), whichever comes first.
        const wake = new AbortController();
        const onWake = () => wake.abort(signal?.aborted ? signal.reason : this.#closing.signal.reason);
        signal?.addEventListener('abort', onWake, { once: true });
        this.#closing.signal.addEventListener('abort', onWake, { once: true });
        try {
          if (!settled) lease = await this.#obtain(tokens, wake.signal);
        } catch (error) {
          if (!settled) reject(error);
          settled = true;
        } finally {
          signal?.removeEventListener('abort', onWake);
          this.#closing.signal.removeEventListener('abort', onWake);
        }
        signal?.removeEventListener('abort', onAbort);
        if (!lease) return;
        // Aborted while Redis was granting: nothing was sent, so hand it all back.
        if (settled) lease.release({ usage: { promptTokens: 0, completionTokens: 0 } });
        else resolve(lease);
        settled = true;
      });
    });
  }

  pause(ms: number): number {
    if (!(ms > 0) || !Number.isFinite(ms)) return Math.max(this.#pausedUntil, Date.now());
    this.#pausedUntil = Math.max(this.#pausedUntil, Date.now() + ms);
    if (this.#mode === 'redis' && this.#client) {
      this.#track(this.#reply((client) => client.pause(this.#keys, ms), 'pause').catch((error: unknown) => this.#onBackgroundError('pause', error)));
    }
    return this.#pausedUntil;
  }

  stats(): RedisQuotaStats {
    return { mode: this.#mode, workers: this.#workers, active: this.#slots.active, granted: this.#granted, fallbacks: this.#fallbacks };
  }

  async flush(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#closing.abort(new Error(`quota "${this.#options.key}" is closed`));
    clearInterval(this.#heartbeat);
    await this.flush();
    const connection = this.#client;
    if (!connection) return;
    try {
      if (connection.current?.isReady) await this.#reply((client) => client.leave(this.#keys, this.#workerId, [...this.#leaseIdsHeld(), ...this.#unanswered]), 'leave');
    } catch {
      // Unreachable: the heartbeat and leases expire by themselves.
    }
    connection.destroy();
  }

  /** Waits for what the quota says (pause, slot, buckets), then holds a lease. */
  async #obtain(tokens: number, signal: AbortSignal): Promise<QuotaLease> {
    for (;;) {
      if (this.#closed) throw new Error(`quota "${this.#options.key}" is closed`);
      const pausedFor = this.#pausedUntil - Date.now();
      if (pausedFor > 0) {
        await abortableSleep(pausedFor, signal);
        continue;
      }
      if (this.#mode === 'local') {
        const local = this.#local!;
        await local.admit(tokens, this.#slots, signal);
        if (this.#local !== local) continue; // Redis came back (or a new outage began) while waiting: start over
        return this.#hold(undefined, tokens);
      }
      const leaseId = `${this.#workerId}:${++this.#leaseCount}`;
      let verdict;
      try {
        verdict = await this.#reply((client) => client.reserve(this.#keys, {
          leaseId,
          tokens,
          leaseMs: this.#leaseMs,
          requestsPerMinute: this.#limits.requestsPerMinute ?? 0,
          tokensPerMinute: this.#limits.tokensPerMinute ?? 0,
          maxConcurrency: this.#limits.maxConcurrency ?? 0,
          requestBurst: burstOf(this.#limits.requestsPerMinute ?? 0),
          tokenBurst: burstOf(this.#limits.tokensPerMinute ?? 0),
        }), 'reserve');
      } catch (error) {
        if (!isRedisUnavailable(error)) throw error;
        this.#unanswered.add(leaseId);
        this.#fallBack(error);
        continue;
      }
      if (verdict.granted) return this.#hold(leaseId, tokens);
      if (verdict.reason === 'paused') this.#pausedUntil = Math.max(this.#pausedUntil, Date.now() + verdict.waitMs);
      // A slot frees when another worker releases, which Redis doesn't announce: ask again soon.
      await abortableSleep(verdict.reason === 'concurrency' ? Math.min(verdict.waitMs, SLOT_POLL_MS) : verdict.waitMs, signal);
    }
  }

  #hold(id: string | undefined, tokens: number): QuotaLease {
    const endSlot = this.#slots.take();
    const key = id ?? `local:${++this.#leaseCount}`;
    const held: HeldLease = { id, tokens, endSlot };
    this.#held.set(key, held);
    this.#granted++;
    let released = false;
    return {
      release: (outcome?: QuotaOutcome) => {
        if (released) return;
        released = true;
        this.#held.delete(key);
        endSlot();
        if (id === undefined || !this.#client || this.#closed) return;
        const usage = outcome?.usage;
        const usedTokens = usage ? usage.promptTokens + usage.completionTokens : -1;
        const sent = this.#reply((client) => client.release(this.#keys, { leaseId: id, reservedTokens: tokens, usedTokens, tokensPerMinute: this.#limits.tokensPerMinute ?? 0 }), 'release')
          // Unreachable: the lease expires by itself after leaseMs; only the reconciliation is lost.
          .catch((error: unknown) => this.#onBackgroundError('release', error));
        this.#track(sent);
      },
    };
  }

  /** Says this worker is alive, renews its leases, and learns how many workers there are. */
  async #beat(): Promise<void> {
    if (this.#closed || !this.#client) return;
    try {
      this.#workers = await this.#reply((client) => client.heartbeat(this.#keys, this.#heartbeatArgs()), 'heartbeat');
    } catch (error) {
      this.#onBackgroundError('heartbeat', error);
      return;
    }
    this.#freeUnanswered();
    // Redis answers again without having dropped the connection (it had stopped answering): no 'ready' says so, this does.
    if (this.#mode === 'local') this.#onReconnected();
  }

  /**
   * Frees the leases of reservations whose reply never came (a no-op for those
   * Redis never ran). Sent on a connection opened after the late one was dropped
   * (see RedisConnection), so it runs after them; the requests and tokens they may
   * have charged stay charged.
   */
  #freeUnanswered(): void {
    for (const leaseId of [...this.#unanswered]) {
      this.#track(
        this.#reply((client) => client.release(this.#keys, { leaseId, reservedTokens: 0, usedTokens: -1, tokensPerMinute: 0 }), 'release').then(
          () => void this.#unanswered.delete(leaseId),
          () => undefined, // tried again at the next heartbeat
        ),
      );
    }
  }

  #heartbeatArgs() {
    return { workerId: this.#workerId, workerTtlMs: this.#leaseMs, leaseMs: this.#leaseMs, leaseIds: this.#leaseIdsHeld() };
  }

  #leaseIdsHeld(): string[] {
    return [...this.#held.values()].flatMap((lease) => (lease.id === undefined ? [] : [lease.id]));
  }

  /** A command nobody awaits failed: unreachable means the local share; anything else is told, not thrown. */
  #onBackgroundError(what: string, error: unknown): void {
    if (isRedisUnavailable(error)) return this.#fallBack(error);
    this.#warn(`@mlpredict/redis: quota "${this.#options.key}": ${what} failed: ${errorMessage(error)}`);
  }

  /** Redis is unreachable: this worker goes on alone at 1/N of the quota, and says so once. */
  #fallBack(error: unknown): void {
    if (this.#mode === 'local' || this.#closed) return;
    this.#mode = 'local';
    this.#fallbacks++;
    this.#local = new LocalShare(this.#limits, this.#workers);
    const reason = errorMessage(error);
    this.#warn(
      `@mlpredict/redis: Redis at ${redactUrl(this.#options.url)} is unreachable (${reason}); quota "${this.#options.key}" ` +
        `falls back to this worker's share, 1/${this.#local.workers} of it (${this.#local.describe()}), until Redis is back.`,
    );
  }

  #onReconnected(): void {
    if (this.#mode !== 'local' || this.#closed) return;
    this.#mode = 'redis';
    this.#local = undefined;
    const left = this.#pausedUntil - Date.now();
    if (left > 0) this.pause(left); // a 429 seen during the outage still holds the others back
    this.#track(this.#beat().catch(() => undefined));
  }

  #warn(message: string): void {
    (this.#options.onWarning ?? console.warn)(message);
  }

  #inTurn(job: () => Promise<void>): void {
    this.#turn = this.#turn.then(job, job);
  }

  #track(promise: Promise<unknown>): void {
    this.#pending.add(promise);
    const done = () => void this.#pending.delete(promise);
    promise.then(done, done);
  }
}
