/**
 * Builds the {@link CallPolicy} for a model and a run's options: the model's shared
 * gate, buckets and concurrency bound, plus the run's retry settings and hooks.
 * Everything that calls a model (operators, tasks, chains) goes through one of
 * these, so one quota governs them all.
 */
import type { Model } from '../model/model.js';
import type { ResolvedOptions } from '../config/options.js';
import type { CallPolicy } from './call-model.js';
import { ConcurrencyLimiter } from './concurrency-limiter.js';
import { modelRuntime, sharedBucket } from './model-runtime.js';

export type CallPolicyOptions = Pick<
  ResolvedOptions,
  | 'retry'
  | 'maxRetries'
  | 'requestTimeoutMs'
  | 'requestsPerMinute'
  | 'tokensPerMinute'
  | 'adaptiveConcurrency'
  | 'concurrency'
  | 'onRequest'
  | 'onRetry'
  | 'onRateLimit'
  | 'stats'
>;

/**
 * @example
 * const policy = callPolicyFor(model, resolveOptions({ maxRetries: 5, requestsPerMinute: 300 }));
 * const outcome = await callModel({ messages }, policy, { batchId: 0, records: 1, tokens: 50, signal });
 */
export function callPolicyFor(model: Model, options: CallPolicyOptions): CallPolicy {
  const { stats } = options;
  const rpm = options.requestsPerMinute ?? model.limits?.requestsPerMinute;
  const tpm = options.tokensPerMinute ?? model.limits?.tokensPerMinute;
  return {
    model,
    runtime: modelRuntime(model),
    retry: options.retry,
    maxRetries: options.maxRetries,
    requestTimeoutMs: options.requestTimeoutMs,
    requestsBucket: rpm ? sharedBucket(model, 'rpm', rpm) : undefined,
    tokensBucket: tpm ? sharedBucket(model, 'tpm', tpm) : undefined,
    adaptive: options.adaptiveConcurrency ? new ConcurrencyLimiter(options.concurrency) : undefined,
    // Each hook also feeds `stats`, when given.
    onRequest: stats ? (e) => (stats.record({ type: 'request', ...e }), options.onRequest?.(e)) : options.onRequest,
    onRetry: stats ? (e) => (stats.record({ type: 'retry', ...e }), options.onRetry?.(e)) : options.onRetry,
    onRateLimit: stats ? (e) => (stats.record({ type: 'rate_limit', ...e }), options.onRateLimit?.(e)) : options.onRateLimit,
  };
}
