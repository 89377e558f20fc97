/**
 * The quota of one process: a rate gate (the pause after a 429, with staggered
 * resume), request and token windows counted as the server counts them (learned
 * from its `x-ratelimit-*` headers when not given), and a bound on requests in
 * flight. What `openAIModel` uses unless given another `quota`.
 */
import type { ModelLimits } from '../model/model.js';
import type { Quota, QuotaLease, QuotaOutcome, QuotaRequest } from '../model/quota.js';
import { ConcurrencyLimiter } from './concurrency-limiter.js';
import { RateGate } from './rate-gate.js';
import { RateLimits } from './rate-limits.js';

/** A local quota, with its parts readable for tests and meters. */
export interface LocalQuota extends Quota {
  readonly gate: RateGate;
  readonly limiter?: ConcurrencyLimiter;
  /** Requests and tokens per minute, given or learned. */
  readonly rates: RateLimits;
  /** Learns the allowance from a response's headers (the call path does it through each lease's `release`). */
  learn(headers: Readonly<Record<string, string | undefined>>): void;
}

export interface LocalQuotaOptions {
  /** Learn limits not given from the server's `x-ratelimit-*` headers (default true). */
  learn?: boolean;
}

/**
 * @example
 * import { localQuota, openAIModel } from '@mlpredict/core';
 * const quota = localQuota({ requestsPerMinute: 500, maxConcurrency: 8 });
 * // Two deployments behind one key share one allowance:
 * const mini = openAIModel({ model: 'gpt-4o-mini', quota });
 * const large = openAIModel({ model: 'gpt-4o', quota });
 */
export function localQuota(limits: ModelLimits = {}, options: LocalQuotaOptions = {}): LocalQuota {
  const gate = new RateGate();
  const limiter = limits.maxConcurrency ? new ConcurrencyLimiter(limits.maxConcurrency) : undefined;
  const rates = new RateLimits({ requestsPerMinute: limits.requestsPerMinute, tokensPerMinute: limits.tokensPerMinute, learn: options.learn });
  return {
    gate,
    limiter,
    rates,
    learn: (headers) => rates.learn(headers),
    async acquire(request: QuotaRequest): Promise<QuotaLease> {
      await gate.wait(request.signal);
      // The slot first, then the windows: a charge is dated when the request can really go, as the server dates it.
      const release = await limiter?.acquire(request.signal);
      let lease;
      try {
        lease = await rates.acquire(request);
      } catch (error) {
        release?.();
        throw error;
      }
      let released = false;
      return {
        release: (outcome?: QuotaOutcome) => {
          if (released) return;
          released = true;
          release?.();
          lease.settle(outcome);
        },
      };
    },
    pause: (ms) => gate.pause(ms),
  };
}
