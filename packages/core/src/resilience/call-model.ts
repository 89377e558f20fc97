/**
 * The one retry owner: sends one request through the model's shared gate, buckets
 * and limiters, with a timeout per attempt, and retries what can succeed on retry
 * (429, 408, 409, 5xx, network errors, timeouts). Failures come back as data, never
 * thrown, so the caller decides what each record gets.
 */
import type { CompletionRequest, CompletionResponse, Model } from '../model/model.js';
import { ModelCallError, isAbortError, isRetryable } from '../model/errors.js';
import type { ModelRuntime } from '../model/runtime.js';
import type { QuotaLease, QuotaOutcome } from '../model/quota.js';
import { finiteUsage } from '../model/token-usage.js';
import { costOf, type ModelPrice } from '../cost/price-table.js';
import type { RunBudget, SpendEstimate } from '../cost/run-budget.js';
import { endLease, reserveBudget } from '../cost/budget-lease.js';
import { abortableSleep, abortReason } from './abortable-sleep.js';
import type { CallHooks } from './call-settings.js';
import type { ConcurrencyLimiter } from './concurrency-limiter.js';
import type { RateLimits, RateLimitsLease } from './rate-limits.js';
import { retryDelay, type RetryDelayOptions } from './retry-delays.js';

export interface CallPolicy extends CallHooks {
  model: Model;
  runtime: ModelRuntime;
  retry: RetryDelayOptions;
  maxRetries: number;
  requestTimeoutMs: number;
  /** This run's own allowance (the `requestsPerMinute` / `tokensPerMinute` options), over the model's quota. */
  limits?: RateLimits;
  /** Per-run AIMD limiter (adaptive concurrency), if on. */
  adaptive?: ConcurrencyLimiter;
  /** The run's price, for each request's `costUsd`. */
  price?: ModelPrice;
  /** The run's `budget`: every attempt reserves its estimated spend first, or is not sent. */
  budget?: RunBudget;
  random?: () => number;
}

export interface CallInfo {
  batchId: number;
  records: number;
  /** Estimated tokens, charged to the token budgets. */
  tokens: number;
  /** Of `tokens`, the answer's budget (`maxTokens`): the rest is the prompt estimate the server's count corrects. */
  completionTokens?: number;
  signal: AbortSignal;
  /** For the run's `budget`: the prompt estimate and `max_tokens` apart (else `tokens` counts as prompt). */
  estimate?: SpendEstimate;
}

export type CallOutcome<R = CompletionResponse> =
  | { ok: true; response: R; attempts: number }
  | { ok: false; error: ModelCallError; attempts: number };

/**
 * Sends one chat request under the policy.
 *
 * @example
 * const outcome = await callModel({ messages }, policy, { batchId: 0, records: 20, tokens: 900, signal });
 * if (!outcome.ok) console.log(outcome.error.kind, outcome.attempts);
 */
export function callModel(request: Omit<CompletionRequest, 'signal'>, policy: CallPolicy, info: CallInfo): Promise<CallOutcome> {
  return callWithPolicy((signal) => policy.model.complete({ ...request, signal }), policy, info);
}

/**
 * Runs any request (`send` gets the attempt's signal) under the policy: gate,
 * buckets, limiters, timeout, retries. For embeddings, tasks, anything.
 *
 * @example
 * await callWithPolicy((signal) => model.embed!({ inputs, signal }), policy, { batchId: 0, records: inputs.length, tokens: 0, signal });
 */
export async function callWithPolicy<R extends { usage?: CompletionResponse['usage'] }>(
  send: (signal: AbortSignal) => Promise<R>,
  policy: CallPolicy,
  info: CallInfo,
): Promise<CallOutcome<R>> {
  let previousDelay = policy.retry.baseDelayMs;
  for (let attempt = 1; ; attempt++) {
    const started = Date.now();
    const timing = { sentAt: started };
    const settled = await attemptWithinBudget(send, policy, info, timing).then(
      (response) => ({ response }),
      (thrown: unknown) => ({ error: toModelCallError(thrown, info.signal) }),
    );
    const waitMs = timing.sentAt - started;
    if ('response' in settled) {
      // Hooks run only after the attempt settled: a throwing hook must never pass for the model's error (and be retried).
      policy.adaptive?.onSuccess();
      const { usage } = settled.response;
      const priced = policy.price && finiteUsage(usage);
      const cost = priced ? { costUsd: costOf(priced, policy.price!) } : {};
      policy.onRequest?.({ batchId: info.batchId, records: info.records, attempt, ok: true, usage, ...cost, latencyMs: Date.now() - started, waitMs });
      return { ok: true, response: settled.response, attempts: attempt };
    }
    const { error } = settled;
    // A request the budget kept back was never sent: the attempts are those before it.
    if (error.kind === 'budget') return { ok: false, error, attempts: attempt - 1 };
    // Aborted and circuit-refused calls were never answered (or never sent): not requests.
    if (error.kind !== 'aborted' && error.kind !== 'circuit_open') {
      policy.onRequest?.({ batchId: info.batchId, records: info.records, attempt, ok: false, status: error.status, errorKind: error.kind, latencyMs: Date.now() - started, waitMs });
    }
    if (error.kind === 'rate_limited' || error.kind === 'timeout') policy.adaptive?.onOverload();
    if (!isRetryable(error) || attempt > policy.maxRetries) return { ok: false, error, attempts: attempt };

    // The server's hint, when it gives one (429, 503, …), beats our own backoff.
    const delay = error.retryAfterMs ?? retryDelay(policy.retry, attempt, previousDelay, policy.random);
    previousDelay = delay;
    if (error.kind === 'rate_limited' || error.status === 429) {
      // Pause every worker of this model, not just this one; the gate's wait replaces our own backoff.
      const waitMs = error.retryAfterMs ?? delay;
      const resumeAt = policy.runtime.quota.pause(waitMs);
      policy.onRateLimit?.({ batchId: info.batchId, waitMs, resumeAt, status: error.status });
      policy.onRetry?.({ batchId: info.batchId, attempt, delayMs: waitMs, error });
      continue;
    }
    policy.onRetry?.({ batchId: info.batchId, attempt, delayMs: delay, error });
    try {
      await abortableSleep(delay, info.signal);
    } catch (abort) {
      return { ok: false, error: toModelCallError(abort, info.signal), attempts: attempt };
    }
  }
}

/** One attempt, sent only once the run's budget (if any) holds its estimated spend; the answer's usage is then what it spent. */
async function attemptWithinBudget<R extends { usage?: CompletionResponse['usage'] }>(
  send: (signal: AbortSignal) => Promise<R>,
  policy: CallPolicy,
  info: CallInfo,
  timing: { sentAt: number },
): Promise<R> {
  const spend = await reserveBudget(policy.budget, info.estimate ?? { promptTokens: info.tokens, records: info.records }, info.signal);
  let answer: R | undefined;
  // A request that timed out was sent: the provider may have run it, and bills it, so its estimate stays spent.
  let maybeRan = false;
  try {
    answer = await attemptOnce(send, policy, info, timing);
    return answer;
  } catch (error) {
    maybeRan = error instanceof AttemptTimeout || (ModelCallError.isInstance(error) && error.kind === 'timeout');
    throw error;
  } finally {
    endLease(spend, answer?.usage, answer !== undefined || maybeRan);
  }
}

async function attemptOnce<R extends { usage?: CompletionResponse['usage'] }>(
  send: (signal: AbortSignal) => Promise<R>,
  policy: CallPolicy,
  info: CallInfo,
  timing: { sentAt: number },
): Promise<R> {
  const { runtime } = policy;
  const { signal } = info;
  // An endpoint that keeps refusing connections is not called again until its circuit half-opens.
  const refusal = await runtime.circuit.admit(signal);
  if (refusal) throw refusal;
  let lease: QuotaLease | undefined;
  let runLease: RateLimitsLease | undefined;
  let releaseRun: (() => void) | undefined;
  // What the server said, for the quota: its count, its rate-limit headers, whether it refused (and so did not count) the request.
  let outcome: QuotaOutcome | undefined;
  const asked = { tokens: info.tokens, completionTokens: info.completionTokens, signal };
  try {
    // The run's own (adaptive) slot first: a run throttled after 429s must not sit on the model's slots.
    releaseRun = await policy.adaptive?.acquire(signal);
    runLease = await policy.limits?.acquire(asked);
    lease = await runtime.quota.acquire(asked);
    timing.sentAt = Date.now();
    const response = await withTimeout(policy.requestTimeoutMs, signal, send);
    const { headers } = response as { headers?: Record<string, string> };
    outcome = { ...(response.usage && { usage: response.usage }), ...(headers && { headers }) };
    runtime.circuit.recordAnswer();
    return response;
  } catch (error) {
    if (ModelCallError.isInstance(error)) outcome = { headers: error.headers, refused: error.kind === 'rate_limited' || error.status === 429 };
    if (isConnectionFailure(error)) runtime.circuit.recordConnectionFailure(error);
    else if (ModelCallError.isInstance(error) && (error.kind === 'http' || error.kind === 'rate_limited' || error.kind === 'context_length')) runtime.circuit.recordAnswer();
    else runtime.circuit.recordInconclusive();
    throw error;
  } finally {
    releaseRun?.();
    runLease?.settle(outcome);
    lease?.release(outcome);
  }
}

/** A failure to reach the endpoint at all (refused, reset, DNS), as opposed to an answer or a timeout. */
function isConnectionFailure(error: unknown): error is ModelCallError {
  return ModelCallError.isInstance(error) && error.kind === 'network';
}

class AttemptTimeout extends Error {
  override readonly name = 'AttemptTimeout';
}

/**
 * Runs `fn` with a signal that aborts on the outer signal or after `ms`, and stops
 * waiting for it then, even if `fn` ignores its signal (a custom provider might).
 */
async function withTimeout<T>(ms: number, outer: AbortSignal, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  // Limits and buckets may be absent, so nothing before this may have noticed the abort.
  if (outer.aborted) throw abortReason(outer);
  const controller = new AbortController();
  const onOuterAbort = () => controller.abort(outer.reason);
  outer.addEventListener('abort', onOuterAbort, { once: true });
  const timer = setTimeout(() => controller.abort(new AttemptTimeout(`request timed out after ${ms} ms`)), ms);
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(abortReason(controller.signal));
    controller.signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([fn(controller.signal), aborted]);
  } catch (error) {
    // The SDK reports either abort as its own error type; which signal fired tells them apart.
    if (!outer.aborted && controller.signal.reason instanceof AttemptTimeout) throw controller.signal.reason;
    throw error;
  } finally {
    clearTimeout(timer);
    outer.removeEventListener('abort', onOuterAbort);
    controller.signal.removeEventListener('abort', onAbort!);
  }
}

/** Anything a model threw → a ModelCallError with a kind the retry policy reads. */
export function toModelCallError(thrown: unknown, signal: AbortSignal): ModelCallError {
  if (signal.aborted) {
    return ModelCallError.isInstance(thrown) && thrown.kind === 'aborted'
      ? thrown
      : new ModelCallError('the run was cancelled', { kind: 'aborted', cause: thrown });
  }
  if (thrown instanceof AttemptTimeout) return new ModelCallError(thrown.message, { kind: 'timeout', cause: thrown });
  if (ModelCallError.isInstance(thrown)) return thrown;
  if (isAbortError(thrown)) return new ModelCallError('the request was aborted', { kind: 'aborted', cause: thrown });
  const message = thrown instanceof Error ? thrown.message : String(thrown);
  return new ModelCallError(`network error: ${message}`, { kind: 'network', cause: thrown });
}
