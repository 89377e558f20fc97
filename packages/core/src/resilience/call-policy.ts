/**
 * Builds the {@link CallPolicy} of one run on one model: the model's runtime
 * (quota, circuit), the run's retry settings and budgets, and its hooks (each
 * also feeding `stats`, when given). Everything that calls a model — operators,
 * tasks, chains — goes through one of these, so one quota governs them all.
 */
import type { Model } from '../model/model.js';
import type { ModelRuntime } from '../model/runtime.js';
import type { RunStats } from '../metrics/run-stats.js';
import type { ModelPrice } from '../cost/price-table.js';
import type { RunBudget } from '../cost/run-budget.js';
import type { CallPolicy } from './call-model.js';
import type { CallHooks, CallSettings } from './call-settings.js';
import { ConcurrencyLimiter } from './concurrency-limiter.js';
import { RateLimits } from './rate-limits.js';

export interface CallPolicyParts {
  call: CallSettings;
  hooks?: CallHooks;
  stats?: RunStats;
  /** With adaptive concurrency: the run's AIMD limit starts here. */
  adaptiveConcurrency?: number;
  /** The run's price (for each request's cost) and budget (shared by all its requests). */
  price?: ModelPrice;
  budget?: RunBudget;
}

/**
 * @example
 * const policy = callPolicyFor(model, runtimeFor(model), { call: resolved.call, hooks: resolved.output });
 * const outcome = await callModel({ messages }, policy, { batchId: 0, records: 1, tokens: 50, signal });
 */
export function callPolicyFor(model: Model, runtime: ModelRuntime, parts: CallPolicyParts): CallPolicy {
  const { call, hooks = {}, stats } = parts;
  return {
    model,
    runtime,
    retry: call.retry,
    maxRetries: call.maxRetries,
    requestTimeoutMs: call.requestTimeoutMs,
    limits: call.requestsPerMinute || call.tokensPerMinute ? new RateLimits({ requestsPerMinute: call.requestsPerMinute, tokensPerMinute: call.tokensPerMinute }) : undefined,
    adaptive: parts.adaptiveConcurrency ? new ConcurrencyLimiter(parts.adaptiveConcurrency) : undefined,
    price: parts.price,
    budget: parts.budget,
    onRequest: stats ? (e) => (stats.record({ type: 'request', ...e }), hooks.onRequest?.(e)) : hooks.onRequest,
    onRetry: stats ? (e) => (stats.record({ type: 'retry', ...e }), hooks.onRetry?.(e)) : hooks.onRetry,
    onRateLimit: stats ? (e) => (stats.record({ type: 'rate_limit', ...e }), hooks.onRateLimit?.(e)) : hooks.onRateLimit,
  };
}
