/**
 * What the call stage reads from a run's options: retries, timeouts, per-run
 * budgets and the hooks that report each request. `config/` builds it once.
 */
import type { RateLimitEvent, RequestEvent, RetryEvent } from '../results/events.js';
import type { RetryDelayOptions } from './retry-delays.js';

export interface CallSettings {
  maxRetries: number;
  retry: RetryDelayOptions;
  /** Per attempt. */
  requestTimeoutMs: number;
  /** This run's own smooth budgets, on top of the model's quota. */
  requestsPerMinute?: number;
  tokensPerMinute?: number;
}

/** Reports from the call stage; each may also feed a `RunStats`. */
export interface CallHooks {
  onRequest?: (event: RequestEvent) => void;
  onRetry?: (event: RetryEvent) => void;
  onRateLimit?: (event: RateLimitEvent) => void;
}
