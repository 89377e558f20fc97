/**
 * The limits a quota enforces, their bursts, and a worker's share of them when
 * it is on its own.
 */

export interface QuotaLimits {
  /** Requests per minute across every worker; undefined: no request limit. */
  readonly requestsPerMinute?: number;
  /** Tokens (prompt + completion) per minute across every worker. */
  readonly tokensPerMinute?: number;
  /** Requests in flight at once across every worker. */
  readonly maxConcurrency?: number;
}

/**
 * The burst a per-minute limit allows: a tenth of a second's worth, at least 1 (as core's local buckets).
 *
 * @example
 * burstOf(120_000) // → 200
 */
export function burstOf(perMinute: number): number {
  return Math.max(1, perMinute / 600);
}

/**
 * This worker's share of the limits when it can't reach Redis: 1/N of each, with
 * N the workers alive when it last could (at least one request in flight, so a
 * worker is never stuck).
 *
 * @example
 * shareOf({ requestsPerMinute: 600, maxConcurrency: 8 }, 4) // → { requestsPerMinute: 150, maxConcurrency: 2 }
 */
export function shareOf(limits: QuotaLimits, workers: number): QuotaLimits {
  const n = Math.max(1, workers);
  return {
    requestsPerMinute: limits.requestsPerMinute === undefined ? undefined : limits.requestsPerMinute / n,
    tokensPerMinute: limits.tokensPerMinute === undefined ? undefined : limits.tokensPerMinute / n,
    maxConcurrency: limits.maxConcurrency === undefined ? undefined : Math.max(1, Math.floor(limits.maxConcurrency / n)),
  };
}
