/**
 * The limits a quota enforces and the options that set them, validated once:
 * a bad option fails at construction with its name and the fix.
 */

export interface QuotaLimits {
  /** Requests per minute across every worker; undefined: no request limit. */
  readonly requestsPerMinute?: number;
  /** Tokens (prompt + completion) per minute across every worker. */
  readonly tokensPerMinute?: number;
  /** Requests in flight at once across every worker. */
  readonly maxConcurrency?: number;
}

/** The burst a per-minute limit allows: a tenth of a second's worth, at least 1 (as core's local buckets). */
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

/** Throws a TypeError naming `name` unless `value` is undefined or a positive finite number (an integer when asked). */
export function checkPositive(name: string, value: unknown, options: { integer?: boolean; min?: number } = {}): void {
  if (value === undefined) return;
  const min = options.min ?? 0;
  const ok =
    typeof value === 'number' && Number.isFinite(value) && value > 0 && value >= min && (!options.integer || Number.isInteger(value));
  if (!ok) {
    const what = options.integer ? 'a positive integer' : 'a positive number';
    const floor = min > 0 ? ` of at least ${min}` : '';
    throw new TypeError(`${name} must be ${what}${floor} (got ${JSON.stringify(value) ?? String(value)}); leave it out for its default`);
  }
}

/** Throws a TypeError naming `name` unless `value` is a redis:// or rediss:// URL. */
export function checkRedisUrl(name: string, value: unknown): void {
  if (typeof value !== 'string' || !/^rediss?:\/\//.test(value)) {
    throw new TypeError(`${name} must be a Redis URL such as "redis://127.0.0.1:6379" (got ${JSON.stringify(value) ?? String(value)})`);
  }
}

/** Throws a TypeError naming `name` unless `value` is a non-empty string. */
export function checkName(name: string, value: unknown, example: string): void {
  if (typeof value !== 'string' || value.length === 0) {
    throw new TypeError(`${name} must be a non-empty string such as "${example}" (got ${JSON.stringify(value) ?? String(value)})`);
  }
}
