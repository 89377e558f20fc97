/**
 * The task executor's vocabulary: what a task is (an LLM call or a plain
 * function), what each one ends with ({@link TaskResult}), the events a run
 * reports, and the options `runTasks`, `runSequence` and `mapChain` share.
 */
import type { ChatMessage, Model, ResponseShape, TokenUsage } from '../model/model.js';
import type { RetryStrategy } from '../resilience/retry-delays.js';
import type { PredictErrorCode } from '../results/result.js';
import type { RateLimitEvent, RequestEvent, RetryEvent } from '../results/events.js';
import type { RunStats } from '../metrics/run-stats.js';

/**
 * Why a task failed. The operators' closed list (an LLM task fails with `http`,
 * `rate_limited`, `timeout`, `aborted`, `too_large`, or `parse` when its `parse`
 * threw; a batch step with any record code), plus two of the executor's own:
 *
 * - `failed`: a function task (or step) threw; the thrown value is `cause`.
 * - `skipped`: an earlier step of the chain failed, so this one never ran.
 */
export type TaskErrorCode = PredictErrorCode | 'failed' | 'skipped';

/** A task's error, as data. */
export interface TaskErrorInfo {
  code: TaskErrorCode;
  message: string;
  /** Requests (LLM tasks) or runs (function tasks) spent on the task. */
  attempts: number;
  /** HTTP status, for `http` and `rate_limited`. */
  status?: number;
  /**
   * An error that cannot heal (a bad key, an unknown model, another non-retryable
   * 4xx) stopped the run: no more requests were sent, and every task or item left
   * got this error.
   */
  fatal?: true;
  /** What was thrown: the `ModelCallError`, the `parse` error, the function's error. */
  cause?: unknown;
}

interface TaskResultBase {
  /** The task's key in `runTasks`, its `tag` (or position) in `runSequence`, the step's name in `mapChain`. */
  tag: string;
  /** From the task getting its slot to its end; 0 for a task that never started. */
  durationMs: number;
  /** Requests (retries included) for an LLM task; 1 for a function that ran; 0 when it never started. */
  attempts: number;
  /** The model's raw answer, for LLM tasks that got one (also when `parse` then failed). */
  text?: string;
  /** Tokens the answering request reported. */
  usage?: TokenUsage;
}

/** A task that ended with its value. */
export interface TaskSuccess<V = unknown> extends TaskResultBase {
  ok: true;
  value: V;
  error?: undefined;
}

/** A task that ended with an error. */
export interface TaskFailure extends TaskResultBase {
  ok: false;
  value?: undefined;
  error: TaskErrorInfo;
}

/** One task's outcome: exactly one of `value` / `error`, told apart by `ok`. */
export type TaskResult<V = unknown> = TaskSuccess<V> | TaskFailure;

/** Per-task retry policy; unset fields come from the run's options. */
export interface TaskRetry {
  /** Retries after the first attempt (0: no retry). */
  maxRetries?: number;
  strategy?: RetryStrategy;
  baseDelayMs?: number;
  maxDelayMs?: number;
}

/**
 * One chat request as a task. Give `messages`, `prompt`, or both (the prompt is
 * appended as the last user message).
 *
 * @example
 * const task: LlmTask<number> = { prompt: 'How many legs has a spider? Digits only.', parse: Number, temperature: 0 };
 */
export interface LlmTask<V = string> {
  messages?: readonly ChatMessage[];
  /** Sent as a user message after `messages`. */
  prompt?: string;
  /** Sent first, as a system message; without it the run's `systemPrompt` is used unless `messages` has one. */
  system?: string;
  /** @default the run's `temperature` (0 unless the model's defaults say otherwise) */
  temperature?: number;
  maxTokens?: number;
  /** Another model for this task; its own `limits` and defaults apply. */
  model?: Model;
  /** This task's retry policy, over the run's. */
  retry?: TaskRetry;
  /** Timeout of each attempt. @default the run's `requestTimeoutMs` */
  requestTimeoutMs?: number;
  /** Provider-side answer shape (JSON mode, JSON schema). */
  responseShape?: ResponseShape;
  headers?: Record<string, string>;
  /** Turns the answer into the task's value; a throw fails the task with code `parse`. Default: the text. */
  parse?: (text: string) => V;
  /** Only one of `run` / an LLM call per task. */
  run?: undefined;
}

/** What a function task is given besides the signal. */
export interface TaskContext {
  tag: string;
  /** Results of the steps before this one (`runSequence`); empty in `runTasks`. */
  previous: readonly TaskResult[];
}

/**
 * A deterministic (or any) function as a task, sync or async. It shares the
 * run's `concurrency` bound and, while it runs, holds one slot of its model's
 * `limits.maxConcurrency` like a request would.
 *
 * @example
 * const task: FunctionTask<string> = { run: async (signal) => (await fetch(url, { signal })).text() };
 */
export interface FunctionTask<V = unknown> {
  /** Aborts when the run is cancelled; a function that ignores it is reported `aborted` at once all the same. */
  run: (signal: AbortSignal, context: TaskContext) => V | PromiseLike<V>;
  /** Whose `maxConcurrency` slot it holds. @default the run's model */
  model?: Model;
  /**
   * Set false for a function that itself calls the model (e.g. runs `predictAll`
   * on it): holding a slot its own requests wait for would deadlock a small limit.
   * @default true
   */
  modelSlot?: boolean;
}

/** An LLM call or a function. */
export type Task<V = unknown> = LlmTask<V> | FunctionTask<V>;

/** The value type a task ends with: `parse`'s result (or the text) for LLM tasks, the function's for function tasks. */
export type TaskValue<K> = K extends { run: (...args: never[]) => infer R }
  ? Awaited<R>
  : K extends { parse: (text: string) => infer V }
    ? V
    : K extends { parse?: (text: string) => infer V }
      ? unknown extends V
        ? string
        : V
      : string;

/** A task started (got its concurrency slot). */
export interface TaskStartEvent {
  tag: string;
  /** The task's position in the run; in `mapChain`, the step's position. */
  index: number;
  /** In `mapChain`: the item's position in the input list. */
  item?: number;
}

/** A task ended (also for tasks cancelled before they started, with `durationMs` 0). */
export interface TaskEndEvent extends TaskStartEvent {
  ok: boolean;
  durationMs: number;
  attempts: number;
  error?: TaskErrorInfo;
}

/**
 * Options every executor function takes. Call settings are validated like the
 * operators' (same names, same messages) and go over the model's `defaults`.
 */
export interface ExecutorOptions {
  /** Cancels everything: requests in flight abort, waiting tasks end `aborted`, nothing new starts. */
  signal?: AbortSignal;
  /** Default system message for LLM tasks that bring none. */
  systemPrompt?: string;
  /** @default 0 (or the model's default) */
  temperature?: number;
  maxTokens?: number;
  /** @default 3 */
  maxRetries?: number;
  /** @default { strategy: 'exponential-jitter', baseDelayMs: 500, maxDelayMs: 8000 } */
  retry?: { strategy?: RetryStrategy; baseDelayMs?: number; maxDelayMs?: number };
  /** @default 30000 */
  requestTimeoutMs?: number;
  /** Client-side budgets, shared with every pipeline on the same model (as `limits` are). */
  requestsPerMinute?: number;
  tokensPerMinute?: number;
  /** Each request, as the operators report it (`batchId` is the task's index, `records` 1). */
  onRequest?: (event: RequestEvent) => void;
  onRetry?: (event: RetryEvent) => void;
  onRateLimit?: (event: RateLimitEvent) => void;
  /** Counts these tasks' requests, retries, rate-limit pauses and tokens (and a batch step's records). */
  stats?: RunStats;
  onTaskStart?: (event: TaskStartEvent) => void;
  onTaskEnd?: (event: TaskEndEvent) => void;
}
