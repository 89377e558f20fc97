/**
 * What a run tells the outside while it works, for logs, meters and progress bars.
 * Passed to the `onRequest`, `onBatch`, `onRetry` and `onRateLimit` options.
 */
import type { TokenUsage } from '../model/model.js';

/** One HTTP request finished (answered or failed). */
export interface RequestEvent {
  batchId: number;
  /** Records this request carried. */
  records: number;
  /** 1 for the first try, 2 for the first retry, … */
  attempt: number;
  ok: boolean;
  /** The failure's status, for HTTP errors. */
  status?: number;
  /** Error kind for failed requests ('rate_limited', 'timeout', 'http', 'network', …). */
  errorKind?: string;
  usage?: TokenUsage;
  /** USD for `usage` at the run's price (see `PredictMeta.costUsd`); absent when the price is unknown. */
  costUsd?: number;
  latencyMs: number;
}

/** A batch settled: every record it started with has a result. */
export interface BatchEvent {
  batchId: number;
  records: number;
  /** Requests spent on it, retries and repairs included. */
  requests: number;
  /** Records that ended with an error. */
  errors: number;
  /** Records that needed a repair round (asked again, split, single fallback). */
  repaired: number;
  usage: TokenUsage;
  latencyMs: number;
  /** What the parser and reconciler noticed: ignored indices, shifted bases, conflicts. */
  warnings: string[];
}

/** A failed attempt is about to be retried after `delayMs`. */
export interface RetryEvent {
  batchId: number;
  attempt: number;
  delayMs: number;
  error: Error;
}

/** A 429 paused every worker on this model until `resumeAt` (epoch ms). */
export interface RateLimitEvent {
  batchId: number;
  waitMs: number;
  resumeAt: number;
  status?: number;
}
