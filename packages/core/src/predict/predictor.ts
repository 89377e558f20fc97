/**
 * The predictor session: the one engine under every adapter. Records go in with
 * `submit(record, key)`; each comes out exactly once as a result carrying its
 * key, in input order unless `ordered: false`. Between the two it admits
 * records, batches them, runs at most `concurrency` batches, answers from the
 * cache, holds results in their order, and counts what is in flight so an
 * adapter can apply backpressure (`submit`'s return value, `ready()`).
 */
import { setMaxListeners } from 'node:events';
import type { Model } from '../model/model.js';
import type { ModelCallError } from '../model/errors.js';
import type { RequestEvent } from '../results/events.js';
import type { ResolvedOptions } from '../config/options.js';
import { Batcher } from '../batching/batcher.js';
import { estimateTokens, PER_RECORD_OVERHEAD_TOKENS } from '../batching/estimate-tokens.js';
import { recordText } from '../prompt/record-text.js';
import { callPolicyFor } from '../resilience/call-policy.js';
import type { CallPolicy } from '../resilience/call-model.js';
import { runtimeFor } from '../resilience/model-runtime.js';
import { errorInfoOf } from '../results/error-code.js';
import { PredictError, type PredictErrorInfo, type PredictResult } from '../results/result.js';
import { chatResolver, type BatchResolver } from './resolve-batch.js';
import { DeadlineExceeded, RunStopped, settleAborted } from './settle-failure.js';
import { toResult, type Settlement, type WorkItem } from './work-item.js';
import { OrderedResults, UnorderedResults, type ResultQueue } from './result-queue.js';
import { SharedAnswers } from './shared-answers.js';
import { runCacheKey } from './run-cache-key.js';
import { checkValue } from './check-value.js';
import { runCost, type RunCost } from '../cost/run-cost.js';
import type { RunTuning } from '../tuning/run-tuning.js';
import { AUTO_MAX_CONCURRENCY } from '../tuning/tuning-defaults.js';
import type { TuneEvent } from '../results/events.js';
import { tuningFor } from './tuning-for.js';

/** Where a push-mode predictor sends what happens. */
export interface PredictorHandlers<T, V, K> {
  /** Each record's result, exactly once, in order (unless `ordered: false`). */
  result(result: PredictResult<T, V, K>): void;
  /** The session failed (`onError: 'throw'` and a failed record, or a hook that threw); nothing more comes. */
  error?(error: unknown): void;
  /** `end()` was called and every record's result has been delivered. */
  end?(): void;
}

/** What differs between kinds of run (chat, embeddings); the rest is shared. */
export interface PredictorParts {
  /** Builds the batch resolver from the run's call policy; chat by default. */
  resolver?: (policy: CallPolicy) => BatchResolver;
  /** Throws, with a message for `bad_input`, for a text this kind of run can't send. */
  checkText?: (text: string) => void;
  /** The price and budget to count with, when the run shares them with more work (a deferred run's repairs). */
  cost?: RunCost;
  /** Told of each answered record's answer as the model gave it, before `valueSchema` (a deferred run keeps it, to read its stored results again). */
  answered?: (key: unknown, raw: unknown) => void;
}

/**
 * The most records a session holds at once before its adapters stop feeding it:
 * `concurrency × batchSize` in flight plus the reorder window.
 *
 * @example
 * maxRecordsInFlight(resolveOptions({ batchSize: 20, concurrency: 8 })) // → 160 + 640
 */
export function maxRecordsInFlight(options: Pick<ResolvedOptions, 'flow' | 'batching'>): number {
  return options.flow.concurrency * options.batching.size + options.flow.reorderWindow;
}

/**
 * Batches started in one turn of the event loop before the session yields: a
 * synchronous model or an all-hits cache would otherwise settle a whole run in
 * microtasks, and no timer, socket or signal would get a turn until it ends.
 */
const BATCHES_PER_TURN = 32;
/** The real `setImmediate`, taken before any test installs fake timers: a yield must never wait on them. */
const nextTurn = setImmediate;

/**
 * A session; see `createPredictor`. Push mode (handlers given) or pull mode
 * (`for await` over the predictor).
 */
export class Predictor<T = unknown, V = unknown, K = number> implements AsyncIterable<PredictResult<T, V, K>> {
  readonly #options: ResolvedOptions;
  /** With `batchSize` or `concurrency` `'auto'`: the run's tuners. */
  readonly #tuning?: RunTuning;
  /** Batches already cut to the tuned limits (a probe is drawn once per batch). */
  readonly #fitted = new WeakSet<WorkItem<T, K>[]>();
  readonly #handlers?: PredictorHandlers<T, V, K>;
  readonly #abort = new AbortController();
  readonly #resolve: BatchResolver;
  readonly #checkText?: (text: string) => void;
  readonly #answered?: (key: unknown, raw: unknown) => void;
  readonly #shared?: SharedAnswers;
  readonly #batcher: Batcher<WorkItem<T, K>>;
  readonly #queue: WorkItem<T, K>[][] = [];
  readonly #results: ResultQueue<PredictResult<T, V, K>>;
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  /** Pull mode: results waiting to be taken, and the taker waiting for one. */
  readonly #pulled: PredictResult<T, V, K>[] = [];
  #wakePuller: (() => void) | undefined;
  #readyWaiters: Array<() => void> = [];
  #drainWaiters: Array<() => void> = [];
  #running = 0;
  #nextBatchId = 0;
  #submitted = 0;
  #delivered = 0;
  #ended = false;
  #closed = false;
  #failure: { error: unknown } | undefined;
  /** Set when an error that cannot heal stopped the run: every later record gets it. */
  #stopped: Omit<PredictErrorInfo, 'attempts'> | undefined;
  #batchesThisTurn = 0;
  #turnMarked = false;

  constructor(model: Model, options: ResolvedOptions, parts: PredictorParts = {}, handlers?: PredictorHandlers<T, V, K>) {
    this.#options = options;
    this.#handlers = handlers;
    // Every request of the run listens on this signal: many listeners are by design, not a leak.
    setMaxListeners(0, this.#abort.signal);
    const { signal } = options.flow;
    if (signal) {
      if (signal.aborted) this.#abort.abort(signal.reason);
      else signal.addEventListener('abort', this.#onUserAbort, { once: true });
    }
    this.#results = options.flow.ordered ? new OrderedResults() : new UnorderedResults();
    this.#tuning = tuningFor(model, options, this.#onTune, (limits) => this.#batcher?.resize(limits));
    const tuning = this.#tuning;
    // The tuners hear every request; whether batches were waiting for a slot tells the concurrency tuner the limit mattered.
    const hooks = tuning ? { ...options.output, onRequest: (e: RequestEvent) => (tuning.onRequest(e, this.#queue.length > 0), options.output.onRequest?.(e)) } : options.output;
    const policy = callPolicyFor(model, runtimeFor(model), {
      call: options.call,
      hooks,
      stats: options.output.stats,
      adaptiveConcurrency: options.flow.adaptiveConcurrency ? options.flow.concurrency : undefined,
      ...(parts.cost ?? runCost(model.name, options.cost)),
    });
    this.#resolve = parts.resolver?.(policy) ?? chatResolver({ prompt: options.prompt, parse: options.parse, repair: options.repair, policy, tuning });
    this.#checkText = parts.checkText;
    this.#answered = parts.answered;
    if (options.cache) this.#shared = new SharedAnswers(options.cache, runCacheKey(model.name, options), (raw) => this.#fromCache(raw));
    const batching = tuning ? { ...options.batching, size: tuning.batchSize ?? options.batching.size, maxTokens: tuning.maxBatchTokens } : options.batching;
    this.#batcher = new Batcher(batching, (item) => item.tokens, (batch) => this.#enqueue(batch));
    tuning?.start();
  }

  /**
   * The bound on records in flight: concurrency × batchSize + the reorder
   * window. With `'auto'` it follows the tuned settings, with room for the
   * concurrency to double (the tuner grows only while batches wait for a slot).
   */
  get maxInFlight(): number {
    if (!this.#tuning) return maxRecordsInFlight(this.#options);
    const { batching, flow } = this.#options;
    const tuned = this.#tuning.concurrency;
    const concurrency = tuned === undefined ? flow.concurrency : Math.min(AUTO_MAX_CONCURRENCY, 2 * tuned);
    return concurrency * (this.#tuning.batchSize ?? batching.size) + flow.reorderWindow;
  }

  /** Batches run at once now: the option, or what the tuner allows. */
  get #concurrency(): number {
    return this.#tuning?.concurrency ?? this.#options.flow.concurrency;
  }

  /** The size batches are cut to now. */
  get #batchSize(): number {
    return this.#tuning?.batchSize ?? this.#options.batching.size;
  }

  /** True once the session ended, failed or was closed: it takes and delivers nothing more. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Records submitted whose result has not been delivered (push) or taken (pull) yet. */
  get inFlight(): number {
    return this.#submitted - this.#delivered;
  }

  /**
   * Adds a record; its result carries `key` (the record's 0-based position when
   * none is given). Returns false once `inFlight` reaches `maxInFlight`: the
   * record is taken all the same, but the caller should wait for `ready()`.
   * Throws after `end()` or `close()`.
   */
  submit(record: T, key?: K): boolean {
    const item = this.#admit(record, key);
    if (item) this.#batcher.add(item);
    return this.inFlight < this.maxInFlight;
  }

  /**
   * Adds an input that could not be read (a malformed line, an undecodable
   * message): it takes its place in the order and settles at once as `bad_input`.
   */
  submitInvalid(input: T, key: K | undefined, message: string): boolean {
    const item = this.#newItem(input, key);
    this.#settle(item, { error: { code: 'bad_input', message }, via: 'single' });
    return this.inFlight < this.maxInFlight;
  }

  /** Resolves once `inFlight` is under `maxInFlight` (at once if it is), or the session closed. */
  ready(): Promise<void> {
    if (this.inFlight < this.maxInFlight || this.#closed) return Promise.resolve();
    return new Promise((resolve) => this.#readyWaiters.push(resolve));
  }

  /** Resolves once every record submitted so far has its result delivered (or the session closed). */
  drain(): Promise<void> {
    if (this.inFlight === 0 || this.#closed) return Promise.resolve();
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
  }

  /** Sends the open, partial batch now instead of after `batchTimeoutMs`. */
  flush(): void {
    this.#batcher.flush();
  }

  /** No more records: the last partial batch goes out, and the session ends once every result is delivered. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#batcher.flush();
    this.#maybeComplete();
  }

  /**
   * Cancels the run but keeps its promise: requests in flight are aborted and
   * every record without an answer gets an `aborted` result.
   */
  abort(reason: unknown = new Error('aborted')): void {
    if (this.#closed || this.#abort.signal.aborted) return;
    this.#abort.abort(reason);
    this.#settleWaiting();
  }

  /** Teardown: aborts every request in flight, drops what is queued, delivers nothing more. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#options.flow.signal?.removeEventListener('abort', this.#onUserAbort);
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    this.#batcher.dispose();
    this.#queue.length = 0;
    this.#results.clear();
    if (!this.#abort.signal.aborted) this.#abort.abort(new Error('closed'));
    this.#wake();
  }

  /** Pull mode: yields results as they are delivered; breaking out closes the session. */
  async *[Symbol.asyncIterator](): AsyncGenerator<PredictResult<T, V, K>, void, undefined> {
    if (this.#handlers) throw new TypeError('this predictor delivers to its handlers; iterate one created without them');
    try {
      for (;;) {
        const next = this.#pulled.shift();
        if (next !== undefined) {
          this.#delivered++;
          this.#afterDelivery();
          yield next;
          continue;
        }
        if (this.#failure) throw this.#failure.error;
        if (this.#closed) return;
        await new Promise<void>((resolve) => (this.#wakePuller = resolve));
      }
    } finally {
      this.close();
    }
  }

  #newItem(input: T, key: K | undefined): WorkItem<T, K> {
    if (this.#ended) throw new Error('submit after end(): the predictor takes no more records');
    // Taken and dropped, the record would have no result and `inFlight` would never come down.
    if (this.#closed) throw new Error(`submit after close(): the predictor takes no more records${this.#failure ? ' (it failed)' : this.#stopped ? ` (stopped: ${this.#stopped.message})` : ''}`);
    const seq = this.#submitted++;
    const now = Date.now();
    return { seq, key: key === undefined ? (seq as K) : key, input, text: '', tokens: 0, batchId: -1, attempts: 0, repairs: 0, triesAlone: 0, admittedAt: now, startedAt: now, done: false, failed: false };
  }

  /** Turns an input into a work item, or settles it at once (returning undefined) when it can't or won't be sent. */
  #admit(input: T, key: K | undefined): WorkItem<T, K> | undefined {
    const item = this.#newItem(input, key);
    if (this.#stopped || this.#abort.signal.aborted) {
      settleAborted([item], this.#abort.signal, this.#settleOne);
      return undefined;
    }
    try {
      item.text = recordText(input, this.#options.prompt);
      this.#checkText?.(item.text);
    } catch (error) {
      this.#settle(item, { error: { code: 'bad_input', message: error instanceof Error ? error.message : String(error) }, via: 'single' });
      return undefined;
    }
    item.tokens = estimateTokens(item.text) + PER_RECORD_OVERHEAD_TOKENS;
    if (this.#shared) item.cacheKey = this.#shared.keyOf(item.text, input);
    const max = this.#options.batching.maxTokens;
    if (max !== undefined && item.tokens > max) {
      this.#settle(item, { error: { code: 'too_large', message: `the record alone is ~${item.tokens} tokens, over maxBatchTokens (${max})` }, via: 'single' });
      return undefined;
    }
    return item;
  }

  #enqueue(batch: WorkItem<T, K>[]): void {
    if (this.#closed || batch.length === 0) return;
    if (this.#abort.signal.aborted) return settleAborted(batch, this.#abort.signal, this.#settleOne);
    this.#queue.push(batch);
    this.#pump();
  }

  #pump(): void {
    const { reorderWindow } = this.#options.flow;
    while (!this.#closed && this.#running < this.#concurrency && this.#queue.length > 0) {
      const next = this.#tuning ? this.#fitHead() : this.#queue[0]!;
      if (!next) return;
      // The reorder window bounds results held back behind a slow earlier batch.
      const ahead = next[next.length - 1]!.seq - this.#results.nextSeq;
      if (this.#options.flow.ordered && this.#running > 0 && ahead >= reorderWindow + this.#concurrency * this.#batchSize) return;
      this.#queue.shift();
      void this.#runBatch(next);
    }
  }

  /**
   * The next batch, cut to what the tuner knows now: a batch formed before the
   * run learned its context or a smaller size is never sent whole.
   */
  #fitHead(): WorkItem<T, K>[] | undefined {
    const head = this.#queue[0]!;
    let parts: WorkItem<T, K>[][];
    try {
      parts = this.#tuning!.partsOf(head, !this.#fitted.has(head));
    } catch (error) {
      // An onTune hook threw.
      this.#fail(error);
      return undefined;
    }
    for (const part of parts) this.#fitted.add(part);
    if (parts.length > 1 || parts[0] !== head) this.#queue.splice(0, 1, ...parts);
    return this.#queue[0];
  }

  /** A tuning decision: into stats, then to `onTune`. */
  readonly #onTune = (event: TuneEvent): void => {
    this.#options.output.stats?.record({ type: 'tune', ...event });
    this.#options.output.onTune?.(event);
  };

  async #runBatch(items: WorkItem<T, K>[]): Promise<void> {
    this.#running++;
    const batchId = this.#nextBatchId++;
    const started = Date.now();
    for (const item of items) {
      item.batchId = batchId;
      item.startedAt = started;
    }
    const { signal, cleanup } = this.#batchSignal(items);
    try {
      if (this.#longTurn()) await new Promise((resolve) => nextTurn(resolve));
      const toSend = this.#shared ? await this.#shared.filter(items, this.#settleOne) : items;
      const report = await this.#resolve(toSend, batchId, { signal, settle: this.#settleShared, stop: this.#stop });
      const event = {
        batchId,
        records: items.length,
        requests: report.requests,
        errors: items.filter((i) => i.failed).length,
        repaired: items.filter((i) => i.repairs > 0).length,
        usage: { promptTokens: report.promptTokens, completionTokens: report.completionTokens },
        latencyMs: Date.now() - started,
        warnings: report.warnings,
      };
      this.#options.output.stats?.record({ type: 'batch', ...event });
      this.#options.output.onBatch?.(event);
    } catch (error) {
      // Resolvers never throw by design; a throw here is a bug or a user callback's error.
      this.#fail(error);
      return;
    } finally {
      cleanup();
      this.#running--;
    }
    this.#pump();
    this.#maybeComplete();
  }

  /** Counts batches started since the event loop last had a turn; true once there were too many. */
  #longTurn(): boolean {
    if (!this.#turnMarked) {
      this.#turnMarked = true;
      nextTurn(() => {
        this.#turnMarked = false;
        this.#batchesThisTurn = 0;
      });
    }
    return ++this.#batchesThisTurn > BATCHES_PER_TURN;
  }

  /** The run's signal, plus a timer for the earliest record's `deadlineMs`. */
  #batchSignal(items: WorkItem<T, K>[]): { signal: AbortSignal; cleanup: () => void } {
    const { deadlineMs } = this.#options.flow;
    if (deadlineMs === undefined) return { signal: this.#abort.signal, cleanup: () => undefined };
    const controller = new AbortController();
    const onAbort = () => controller.abort(this.#abort.signal.reason);
    this.#abort.signal.addEventListener('abort', onAbort, { once: true });
    // The deadline counts from admission, so time spent waiting for a batch slot counts too.
    const remaining = Math.max(0, deadlineMs - (Date.now() - Math.min(...items.map((i) => i.admittedAt))));
    const timer = setTimeout(() => controller.abort(new DeadlineExceeded(`no answer within deadlineMs (${deadlineMs} ms)`)), remaining);
    this.#timers.add(timer);
    return {
      signal: controller.signal,
      cleanup: () => {
        clearTimeout(timer);
        this.#timers.delete(timer);
        this.#abort.signal.removeEventListener('abort', onAbort);
      },
    };
  }

  readonly #onUserAbort = () => this.abort(this.#options.flow.signal!.reason);

  /** An error that cannot heal: no more requests, every record not yet answered gets it. */
  readonly #stop = (error: ModelCallError): void => {
    if (this.#stopped || this.#closed) return;
    this.#stopped = { ...errorInfoOf(error), fatal: true };
    this.#abort.abort(new RunStopped(this.#stopped));
    this.#settleWaiting();
  };

  /** After an abort or a stop: records still batching or queued get their result now. */
  #settleWaiting(): void {
    this.#batcher.flush();
    for (const batch of this.#queue.splice(0)) settleAborted(batch, this.#abort.signal, this.#settleOne);
  }

  async #fromCache(raw: unknown): Promise<Settlement> {
    const checked = await checkValue(raw, this.#options.parse.valueSchema);
    return checked.ok ? { value: checked.value, raw, via: 'cache' } : { error: { code: 'schema', message: checked.message }, via: 'cache' };
  }

  readonly #settleShared = (item: WorkItem, settlement: Settlement): void => {
    if (this.#shared && item.cacheKey !== undefined) this.#shared.settled(item, settlement, this.#settleOne);
    else this.#settle(item as WorkItem<T, K>, settlement);
  };

  readonly #settleOne = (item: WorkItem, settlement: Settlement) => this.#settle(item as WorkItem<T, K>, settlement);

  #settle(item: WorkItem<T, K>, settlement: Settlement): void {
    if (this.#closed || item.done) return;
    item.done = true;
    if (this.#answered && 'value' in settlement && settlement.raw !== undefined) this.#answered(item.key, settlement.raw);
    const result = toResult(item, settlement, Date.now()) as PredictResult<T, V, K>;
    item.failed = !result.ok;
    this.#results.add(result, this.#emit);
    this.#pump();
  }

  readonly #emit = (result: PredictResult<T, V, K>): void => {
    if (this.#closed) return;
    this.#options.output.stats?.record({ type: 'result', result });
    if (!result.ok && this.#options.output.onError === 'throw') return this.#fail(new PredictError(result));
    if (this.#handlers) {
      this.#delivered++;
      this.#handlers.result(result);
      this.#afterDelivery();
    } else {
      this.#pulled.push(result);
      this.#wake();
    }
  };

  #afterDelivery(): void {
    if (this.inFlight < this.maxInFlight && this.#readyWaiters.length > 0) for (const resolve of this.#readyWaiters.splice(0)) resolve();
    if (this.inFlight === 0 && this.#drainWaiters.length > 0) for (const resolve of this.#drainWaiters.splice(0)) resolve();
    this.#maybeComplete();
  }

  #wake(): void {
    const wake = this.#wakePuller;
    this.#wakePuller = undefined;
    wake?.();
    if (this.#closed) {
      for (const resolve of this.#readyWaiters.splice(0)) resolve();
      for (const resolve of this.#drainWaiters.splice(0)) resolve();
    }
  }

  #maybeComplete(): void {
    if (this.#closed || !this.#ended || this.#running > 0 || this.#queue.length > 0 || this.#batcher.pending > 0 || this.#delivered < this.#submitted) return;
    this.close();
    this.#handlers?.end?.();
  }

  #fail(error: unknown): void {
    if (this.#closed) return;
    this.#failure = { error };
    this.close();
    this.#handlers?.error?.(error);
  }
}
