/**
 * State shared by everything that uses one model object: the rate gate, its
 * request/token buckets and its concurrency bound. Kept in a WeakMap keyed by the
 * model, so two pipelines on the same model share one quota and a dropped model
 * takes its state with it.
 */
import type { Model } from '../model/model.js';
import { ConcurrencyLimiter } from './concurrency-limiter.js';
import { RateGate } from './rate-gate.js';
import { TokenBucket } from './token-bucket.js';

export interface ModelRuntime {
  gate: RateGate;
  /** Bound from `model.limits.maxConcurrency`, if any. */
  limiter?: ConcurrencyLimiter;
  /** Request/token buckets by `rpm:300` / `tpm:90000`. */
  buckets: Map<string, TokenBucket>;
  /** With `structuredOutput: 'auto'`: the strongest shape this endpoint accepted. */
  structuredOutput?: 'json_schema' | 'json_object' | 'off';
}

const runtimes = new WeakMap<Model, ModelRuntime>();

/**
 * Set on a model derived from another (same endpoint, other defaults, e.g. by
 * `defineModel`) so both share one quota: the gate, buckets and limiter.
 */
export const SHARES_QUOTA_WITH = Symbol.for('mlpredict.sharesQuotaWith');

function quotaOwner(model: Model): Model {
  let owner = model;
  for (let next = (owner as { [SHARES_QUOTA_WITH]?: Model })[SHARES_QUOTA_WITH]; next; next = (owner as { [SHARES_QUOTA_WITH]?: Model })[SHARES_QUOTA_WITH]) owner = next;
  return owner;
}

/**
 * @example
 * const { gate } = modelRuntime(model); gate.pause(1000); // every pipeline on `model` waits
 */
export function modelRuntime(derived: Model): ModelRuntime {
  const model = quotaOwner(derived);
  let runtime = runtimes.get(model);
  if (!runtime) {
    const max = model.limits?.maxConcurrency;
    runtime = { gate: new RateGate(), limiter: max ? new ConcurrencyLimiter(max) : undefined, buckets: new Map() };
    runtimes.set(model, runtime);
  }
  return runtime;
}

/** The shared bucket for a per-minute limit on this model (model limits and call options alike). */
export function sharedBucket(model: Model, kind: 'rpm' | 'tpm', perMinute: number): TokenBucket {
  const runtime = modelRuntime(model); // follows SHARES_QUOTA_WITH
  const key = `${kind}:${perMinute}`;
  let bucket = runtime.buckets.get(key);
  if (!bucket) {
    bucket = TokenBucket.perMinute(perMinute);
    runtime.buckets.set(key, bucket);
  }
  return bucket;
}
