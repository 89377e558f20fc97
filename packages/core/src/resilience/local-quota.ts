/**
 * The quota of one process: a rate gate (the pause after a 429, with staggered
 * resume), smooth request and token buckets, and a bound on requests in flight.
 * What `openAIModel` uses unless given another `quota`.
 */
import type { ModelLimits } from '../model/model.js';
import type { Quota, QuotaLease, QuotaRequest } from '../model/quota.js';
import { ConcurrencyLimiter } from './concurrency-limiter.js';
import { RateGate } from './rate-gate.js';
import { TokenBucket } from './token-bucket.js';

/** A local quota, with its parts readable for tests and meters. */
export interface LocalQuota extends Quota {
  readonly gate: RateGate;
  readonly limiter?: ConcurrencyLimiter;
  readonly requests?: TokenBucket;
  readonly tokens?: TokenBucket;
}

/**
 * @example
 * import { localQuota, openAIModel } from '@mlpredict/core';
 * const quota = localQuota({ requestsPerMinute: 500, maxConcurrency: 8 });
 * // Two deployments behind one key share one allowance:
 * const mini = openAIModel({ model: 'gpt-4o-mini', quota });
 * const large = openAIModel({ model: 'gpt-4o', quota });
 */
export function localQuota(limits: ModelLimits = {}): LocalQuota {
  const gate = new RateGate();
  const limiter = limits.maxConcurrency ? new ConcurrencyLimiter(limits.maxConcurrency) : undefined;
  const requests = limits.requestsPerMinute ? TokenBucket.perMinute(limits.requestsPerMinute) : undefined;
  const tokens = limits.tokensPerMinute ? TokenBucket.perMinute(limits.tokensPerMinute) : undefined;
  return {
    gate,
    limiter,
    requests,
    tokens,
    async acquire(request: QuotaRequest): Promise<QuotaLease> {
      await gate.wait(request.signal);
      await requests?.take(1, request.signal);
      await tokens?.take(request.tokens, request.signal);
      const release = await limiter?.acquire(request.signal);
      return { release: () => release?.() };
    },
    pause: (ms) => gate.pause(ms),
  };
}
