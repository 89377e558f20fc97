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
  /** From the attempt's start to its end, waits included. */
  latencyMs: number;
  /** Of `latencyMs`, the time spent waiting to send (the rate gate, rate windows, concurrency slots). */
  waitMs?: number;
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

/** What a self-tuning decision changed: the size batches are cut to, their token budget (the context learned), or the batches in flight. */
export type TunedSetting = 'batchSize' | 'maxBatchTokens' | 'concurrency';

/**
 * Why: `start` (the first setting), `context` (a prompt overflowed the model's
 * context, or `maxPromptTokens` bounds it), `truncated` / `unreadable` (answers
 * at this size came back cut off or unreadable), `timing` (time per record is
 * lower at another size), `probe` (one batch at another size, to time it),
 * `recovered` (answers were good again: back up toward the cap), `throughput`
 * (more in flight answered more), `plateau` (it stopped helping), `latency`
 * (latency rose), `rate_limited` / `timeout` (the server pushed back).
 */
export type TuneReason = 'start' | 'context' | 'truncated' | 'unreadable' | 'timing' | 'probe' | 'recovered' | 'throughput' | 'plateau' | 'latency' | 'rate_limited' | 'timeout';

/** A self-tuning decision (`batchSize: 'auto'`, `concurrency: 'auto'`), passed to `onTune` and recorded in `stats`. */
export interface TuneEvent {
  setting: TunedSetting;
  /** The value before; undefined for `start`. */
  from?: number;
  to: number;
  reason: TuneReason;
  /** The decision in words, with the numbers behind it. */
  message: string;
}
