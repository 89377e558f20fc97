/**
 * The quota a model's requests pass through: the provider's allowance (requests
 * and tokens per minute, requests in flight) and the shared pause after a 429.
 * Local by default (one process); `@mlpredict/redis`'s `redisQuota` shares one
 * quota between every worker holding the same key. Like `model.ts`, this file
 * has no dependencies, so a quota can be written without the engine.
 */
import type { TokenUsage } from './model.js';

/** One request asking to go out. */
export interface QuotaRequest {
  /** Estimated tokens (prompt estimate plus `maxTokens` or an output estimate). */
  tokens: number;
  /** Of `tokens`, the budget for the answer (`maxTokens`); the rest is the prompt estimate, which the server's count replaces. */
  completionTokens?: number;
  /** Aborting rejects a pending `acquire` at once with the signal's reason. */
  signal?: AbortSignal;
}

/** What a request that finished reports back to its lease. */
export interface QuotaOutcome {
  /** Tokens the server counted; reconciles the estimate charged at `acquire`. */
  usage?: TokenUsage;
  /** The server's rate-limit headers (`x-ratelimit-*`, `openai-processing-ms`), success or failure: a quota may learn its allowance from them. */
  headers?: Record<string, string>;
  /** The server refused the request (a 429) and did not count it: its charge is given back. */
  refused?: boolean;
}

/** A granted request: holds a concurrency slot until released. */
export interface QuotaLease {
  /** Ends the request: frees its slot and reconciles tokens. Idempotent. */
  release(outcome?: QuotaOutcome): void;
}

/**
 * A quota: `acquire` resolves when a request may be sent (no shared pause, the
 * request and token budgets allow it, a concurrency slot is free); `pause` is
 * called on a 429 so every holder of the quota waits, not only the one that
 * drew it.
 *
 * @example
 * const lease = await quota.acquire({ tokens: 900, signal });
 * try {
 *   const response = await send();
 *   lease.release({ usage: response.usage });
 * } catch (error) {
 *   lease.release();
 *   if (isRateLimit(error)) quota.pause(error.retryAfterMs ?? 1000);
 *   throw error;
 * }
 */
export interface Quota {
  acquire(request: QuotaRequest): Promise<QuotaLease>;
  /** Nobody holding this quota sends for `ms` (extends, never shortens, a current pause). Returns when sending resumes (epoch ms). */
  pause(ms: number): number;
}
