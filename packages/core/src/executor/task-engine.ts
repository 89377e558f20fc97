/**
 * What `runTasks`, `runSequence` and `mapChain` share: options validated once,
 * one call policy per model (so the model's gate, buckets and `maxConcurrency`
 * govern tasks exactly as they govern pipelines), one task run to its result —
 * an LLM call through `callWithPolicy`, the one retry owner, or a function
 * holding a model slot — and the run's cancellation and events. Internal.
 */
import { setMaxListeners } from 'node:events';
import type { ChatMessage, CompletionRequest, CompletionResponse, Model } from '../model/model.js';
import { isFatal, type ModelCallError } from '../model/errors.js';
import type { ModelRuntime } from '../model/runtime.js';
import { estimateTokens } from '../batching/estimate-tokens.js';
import { callWithPolicy, type CallPolicy } from '../resilience/call-model.js';
import { callPolicyFor } from '../resilience/call-policy.js';
import { runtimeFor } from '../resilience/model-runtime.js';
import type { LocalQuota } from '../resilience/local-quota.js';
import { abortReason } from '../resilience/abortable-sleep.js';
import { errorInfoOf } from '../results/error-code.js';
import { checkExecutorOptions, executorCallSettings, type ExecutorCallSettings, type ExecutorCaller } from './executor-options.js';
import type {
  ExecutorOptions,
  FunctionTask,
  LlmTask,
  Task,
  TaskContext,
  TaskErrorCode,
  TaskErrorInfo,
  TaskResult,
} from './task-types.js';

/** How a task ended, before it gets its tag and duration. */
export type Outcome =
  | { ok: true; value: unknown; attempts: number; text?: string; usage?: CompletionResponse['usage'] }
  | { ok: false; error: TaskErrorInfo; attempts: number; text?: string; usage?: CompletionResponse['usage'] };

interface ModelSetup {
  settings: ExecutorCallSettings;
  runtime: ModelRuntime;
  policy: CallPolicy;
}

export function isFunctionTask(task: Task): task is FunctionTask {
  return typeof (task as FunctionTask).run === 'function';
}

/** Throws a TypeError unless `value` is undefined or an integer ≥ 1. */
export function checkPositiveInt(caller: string, name: string, value: unknown): void {
  if (value !== undefined && !(typeof value === 'number' && Number.isInteger(value) && value >= 1)) {
    throw new TypeError(`${caller}: invalid options:\n  - "${name}": expected an integer >= 1, got ${String(value)}`);
  }
}

export class TaskEngine {
  readonly caller: ExecutorCaller;
  /** The run's model, if it has one: LLM tasks' default and function tasks' slot holder. */
  readonly model?: Model;
  readonly #options: ExecutorOptions;
  readonly #setups = new Map<Model, ModelSetup>();
  readonly #controller = new AbortController();
  readonly #systemPrompt: string | undefined;
  #hookError: { error: unknown } | undefined;
  /** Models refused for good (a bad key, an unknown model): their tasks left get the error without a request. */
  readonly #stopped = new Map<Model, TaskErrorInfo>();

  constructor(model: Model | undefined, options: ExecutorOptions, caller: ExecutorCaller) {
    this.caller = caller;
    this.model = model;
    this.#options = options;
    // Validates now, so a bad option fails the call before any task starts. The
    // system prompt is the run's own: a model's default one is written for batches.
    checkExecutorOptions(caller, options as Record<string, unknown>);
    this.#systemPrompt = options.systemPrompt;
    if (model) this.setupFor(model);

    // Every waiting task listens on the run's signal; that is by design, not a leak.
    setMaxListeners(0, this.#controller.signal);
    const user = options.signal;
    if (user?.aborted) this.#controller.abort(user.reason);
    else user?.addEventListener('abort', this.#onUserAbort, { once: true });
  }

  /** Aborts on the user's signal, or when one of the user's hooks threw. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** The run's options resolved for `model` and the policy its calls go through. */
  setupFor(model: Model): ModelSetup {
    let setup = this.#setups.get(model);
    if (!setup) {
      const settings = executorCallSettings(this.#options as Record<string, unknown>, model, this.caller);
      const runtime = runtimeFor(model);
      setup = { settings, runtime, policy: callPolicyFor(model, runtime, { call: settings.call, hooks: this.#options, stats: this.#options.stats }) };
      this.#setups.set(model, setup);
    }
    return setup;
  }

  /** Validates one task up front (shape, model, per-task settings); throws a TypeError naming it. */
  checkTask(tag: string, task: unknown, defaultModel = this.model): void {
    const where = `${this.caller}: task "${tag}"`;
    if (typeof task !== 'object' || task === null) throw new TypeError(`${where}: expected an object with messages, prompt or run`);
    const t = task as Task;
    if (isFunctionTask(t)) {
      if (t.model) this.setupFor(t.model);
      return;
    }
    if ('run' in t && t.run !== undefined) throw new TypeError(`${where}: "run" must be a function`);
    if (t.messages === undefined && t.prompt === undefined) throw new TypeError(`${where}: give messages, prompt or run`);
    if (t.messages !== undefined && !Array.isArray(t.messages)) throw new TypeError(`${where}: "messages" must be an array of chat messages`);
    if (t.prompt !== undefined && typeof t.prompt !== 'string') throw new TypeError(`${where}: "prompt" must be a string`);
    if (t.parse !== undefined && typeof t.parse !== 'function') throw new TypeError(`${where}: "parse" must be a function`);
    const model = t.model ?? defaultModel;
    if (!model) throw new TypeError(`${where}: no model (give the task a model, or the run one)`);
    this.setupFor(model);
    const { maxRetries, ...retry } = t.retry ?? {};
    executorCallSettings({ maxRetries, temperature: t.temperature, maxTokens: t.maxTokens, requestTimeoutMs: t.requestTimeoutMs, ...(t.retry && { retry }) }, undefined, where);
  }

  /**
   * The messages of an LLM task: its `system` (or the run's `systemPrompt` when
   * its messages bring none; never the model's default, which is written for
   * batches), its messages, then its prompt as a user message.
   */
  messagesOf(task: LlmTask<unknown>): ChatMessage[] {
    const own = [...(task.messages ?? [])];
    const system = task.system ?? (own.some((m) => m.role === 'system') ? undefined : this.#systemPrompt);
    return [...(system !== undefined ? [{ role: 'system' as const, content: system }] : []), ...own, ...(task.prompt !== undefined ? [{ role: 'user' as const, content: task.prompt }] : [])];
  }

  /**
   * One LLM call under the model's policy (with the task's overrides); failures
   * come back as data with the operators' codes. `attempts` counts requests sent.
   */
  async callLlm(index: number, task: LlmTask<unknown>, messages: ChatMessage[], defaultModel = this.model): Promise<Outcome> {
    const model = (task.model ?? defaultModel)!;
    const { settings, policy } = this.setupFor(model);
    const signal = this.signal;
    if (signal.aborted) return abortedOutcome(0);
    const stopped = this.#stopped.get(model);
    if (stopped) return { ok: false, error: stopped, attempts: 0 };

    const request: Omit<CompletionRequest, 'signal'> = { messages };
    const temperature = task.temperature ?? settings.temperature;
    const maxTokens = task.maxTokens ?? settings.maxTokens;
    if (temperature !== undefined) request.temperature = temperature;
    if (maxTokens !== undefined) request.maxTokens = maxTokens;
    if (task.responseShape) request.responseShape = task.responseShape;
    if (task.headers) request.headers = task.headers;

    let sent = 0;
    const outcome = await callWithPolicy(
      (attemptSignal) => {
        // The policy may have nothing to wait on (no limiter, no bucket), so an abort must be checked here.
        if (signal.aborted) return Promise.reject(abortReason(signal));
        sent++;
        return model.complete({ ...request, signal: attemptSignal });
      },
      withTaskOverrides(policy, task),
      { batchId: index, records: 1, tokens: estimateTokens(messages.map((m) => m.content).join('\n')) + (maxTokens ?? 0), signal },
    );
    if (!outcome.ok) {
      const error = fromModelError(outcome.error, sent);
      if (!stopsTheRun(outcome.error)) return { ok: false, error, attempts: sent };
      this.stopModel(model, error);
      return { ok: false, error: { ...error, fatal: true }, attempts: sent };
    }

    const { text, usage } = outcome.response;
    const extra = { text, ...(usage && { usage }) };
    if (!task.parse) return { ok: true, value: text, attempts: sent, ...extra };
    try {
      return { ok: true, value: task.parse(text), attempts: sent, ...extra };
    } catch (error) {
      return { ok: false, error: { code: 'parse', message: `parse threw: ${messageOf(error)}`, attempts: sent, cause: error }, attempts: sent, ...extra };
    }
  }

  /**
   * After an error that cannot heal (a refused key, an unknown model or route),
   * no more requests go to `model`: its tasks left get `error` (with `fatal: true`)
   * at once. Tasks on other models, and functions, go on.
   */
  stopModel(model: Model, error: TaskErrorInfo): void {
    if (this.#stopped.has(model)) return;
    const { cause, ...info } = error;
    this.#stopped.set(model, { ...info, attempts: 0, fatal: true, ...(cause !== undefined && { cause }) });
  }

  /**
   * Runs a function while holding one slot of its model's `maxConcurrency`
   * (unless `modelSlot: false`). On abort it is reported `aborted` at once; the
   * slot is still held until the function really returns, so the bound holds.
   */
  async callFunction<V>(
    run: (signal: AbortSignal, context: TaskContext) => V | PromiseLike<V>,
    context: TaskContext,
    slot: { model?: Model; modelSlot?: boolean } = {},
    defaultModel = this.model,
  ): Promise<Outcome> {
    const signal = this.signal;
    const slotModel = slot.modelSlot === false ? undefined : (slot.model ?? defaultModel);
    // A local quota bounds requests in flight with a limiter a function can hold; a shared quota has no such slot.
    const limiter = slotModel ? (this.setupFor(slotModel).runtime.quota as Partial<LocalQuota>).limiter : undefined;
    let release: (() => void) | undefined;
    try {
      release = await limiter?.acquire(signal);
    } catch {
      return abortedOutcome(0);
    }
    if (signal.aborted) {
      release?.();
      return abortedOutcome(0);
    }
    const work = (async () => run(signal, context))();
    // Held until the function really ends, even when it is reported aborted before that.
    void work.then(
      () => release?.(),
      () => release?.(),
    );
    try {
      return { ok: true, value: await untilAborted(work, signal), attempts: 1 };
    } catch (error) {
      if (signal.aborted) return abortedOutcome(1);
      return { ok: false, error: { code: 'failed', message: messageOf(error), attempts: 1, cause: error }, attempts: 1 };
    }
  }

  /** Reports the start, runs `body`, reports the end; `index`/`item` go into the events. */
  async timed(tag: string, index: number, item: number | undefined, body: () => Promise<Outcome>): Promise<TaskResult> {
    const where = item === undefined ? { tag, index } : { tag, index, item };
    this.report(this.#options.onTaskStart, where);
    const started = Date.now();
    let outcome: Outcome;
    try {
      outcome = await body();
    } catch (error) {
      // The bodies return failures as data; a throw is a bug or a user callback's error.
      outcome = { ok: false, error: { code: 'failed', message: messageOf(error), attempts: 0, cause: error }, attempts: 0 };
    }
    return this.#ended(tag, where, outcome, Date.now() - started);
  }

  /** The result of a task that never started (cancelled, or skipped after a failed step). */
  notStarted(tag: string, index: number, item: number | undefined, code: Extract<TaskErrorCode, 'aborted' | 'skipped'>, message: string): TaskResult {
    const where = item === undefined ? { tag, index } : { tag, index, item };
    return this.#ended(tag, where, { ok: false, error: { code, message, attempts: 0 }, attempts: 0 }, 0);
  }

  /** Detaches from the user's signal; rethrows the first error a user hook threw. */
  finish(): void {
    this.#options.signal?.removeEventListener('abort', this.#onUserAbort);
    if (this.#hookError) throw this.#hookError.error;
  }

  #ended(tag: string, where: { tag: string; index: number; item?: number }, outcome: Outcome, durationMs: number): TaskResult {
    const base = { tag, durationMs, attempts: outcome.attempts, ...(outcome.text !== undefined && { text: outcome.text }), ...(outcome.usage && { usage: outcome.usage }) };
    const result: TaskResult = outcome.ok ? { ...base, ok: true, value: outcome.value } : { ...base, ok: false, error: outcome.error };
    this.report(this.#options.onTaskEnd, { ...where, ok: result.ok, durationMs, attempts: result.attempts, ...(result.error && { error: result.error }) });
    return result;
  }

  /** Calls a user hook. One that throws cancels the run, and the call then rejects with its error. */
  report<E>(hook: ((event: E) => void) | undefined, event: E): void {
    if (!hook) return;
    try {
      hook(event);
    } catch (error) {
      if (this.#hookError) return;
      this.#hookError = { error };
      this.#controller.abort(error);
    }
  }

  #onUserAbort = (): void => {
    this.#controller.abort(this.#options.signal!.reason);
  };
}


/**
 * Tasks differ (their prompts, parameters, response shapes), so a 400 or 422 is the
 * task's own; a refused key or an unknown model or route (401, 403, 404) is the
 * model's setup, and no later task on that model would get through.
 */
function stopsTheRun(error: ModelCallError): boolean {
  return isFatal(error) && (error.status === 401 || error.status === 403 || error.status === 404);
}

/** The policy with a task's own retries and timeout over the run's. */
function withTaskOverrides(policy: CallPolicy, task: LlmTask<unknown>): CallPolicy {
  const { retry, requestTimeoutMs } = task;
  if (!retry && requestTimeoutMs === undefined) return policy;
  return {
    ...policy,
    maxRetries: retry?.maxRetries ?? policy.maxRetries,
    requestTimeoutMs: requestTimeoutMs ?? policy.requestTimeoutMs,
    retry: {
      strategy: retry?.strategy ?? policy.retry.strategy,
      baseDelayMs: retry?.baseDelayMs ?? policy.retry.baseDelayMs,
      maxDelayMs: retry?.maxDelayMs ?? policy.retry.maxDelayMs,
    },
  };
}

/** A model failure → the operators' codes, through the one map every path shares. */
export function fromModelError(error: ModelCallError, attempts: number): TaskErrorInfo {
  return { ...errorInfoOf(error), attempts, cause: error };
}

function abortedOutcome(attempts: number): Outcome {
  return { ok: false, error: { code: 'aborted', message: 'the run was cancelled', attempts }, attempts };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** `work`, or a rejection as soon as `signal` aborts, whichever comes first. */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortReason(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
