/**
 * The Redis keys one quota lives in. They share a hash tag (`{key}`) so a
 * Redis Cluster keeps them on one slot, which a multi-key Lua script needs.
 */
export interface QuotaKeys {
  /** Hash: `req` and `tok`, the theoretical arrival times of the two GCRA buckets (ms, server clock). */
  readonly rates: string;
  /** Sorted set: one member per request in flight, scored by when its lease expires. */
  readonly leases: string;
  /** String: the server time (ms) until which nobody sends, after a 429. */
  readonly pause: string;
  /** Sorted set: one member per live worker, scored by when its heartbeat expires. */
  readonly workers: string;
}

/**
 * @example
 * quotaKeys('openai-prod').leases // → 'mlpredict:quota:{openai-prod}:leases'
 */
export function quotaKeys(key: string): QuotaKeys {
  const base = `mlpredict:quota:{${key}}`;
  return { rates: `${base}:rates`, leases: `${base}:leases`, pause: `${base}:pause`, workers: `${base}:workers` };
}
