/**
 * One subscription's worth of work: admits records, runs at most `concurrency`
 * batches at once, and emits each record's result exactly once, in input order
 * unless `ordered: false`. The operators only wire a source into it.
 */
import type { Model } from '../model/model.js';
import type { ResolvedOptions } from '../config/options.js';
import { estimateTokens, PER_RECORD_OVERHEAD_TOKENS } from '../batching/estimate-tokens.js';
import { recordText } from '../prompt/record-text.js';
import { callPolicyFor } from '../resilience/call-policy.js';
import { chatResolver, type BatchResolver } from './resolve-batch.js';
import { DeadlineExceeded } from './settle-failure.js';
import type { CallPolicy } from '../resilience/call-model.js';
import { PredictError, type PredictResult } from '../results/result.js';
import { toResult, type Settlement, type WorkItem } from './work-item.js';
import type { BatchEvent } from '../results/events.js';
import { SharedAnswers } from './shared-answers.js';
import { LruCache } from '../cache/lru-cache.js';
import { runCacheKey } from '../cache/cache-key.js';

export interface RunObserver<T> {
  next(result: PredictResult<T>): void;
  error(error: unknown): void;
  complete(): void;
}

/**
 * The most records a run holds at once before its adapters stop pulling:
 * `concurrency × batchSize` in flight plus the reorder window.
 *
 * @example
 * maxRecordsInFlight(resolveOptions({ batchSize: 20, concurrency: 8 })) // → 160 + 640
 */
export function maxRecordsInFlight(options: Pick<ResolvedOptions, 'concurrency' | 'batchSize' | 'reorderWindow'>): number {
  return options.concurrency * options.batchSize + options.reorderWindow;
}

/** What differs between kinds of run (chat, embeddings); the rest is shared. */
export interface RunParts {
  /** Builds the batch resolver from the run's call policy; chat by default. */
  resolver?: (policy: CallPolicy) => BatchResolver;
  /** Throws, with a message for `bad_input`, for a text this kind of run can't send. */
  checkText?: (text: string) => void;
}

export class PredictionRun<T> {
  readonly #options: ResolvedOptions;
  readonly #observer: RunObserver<T>;
  readonly #abort = new AbortController();
  readonly #resolve: BatchResolver;
  readonly #checkText?: (text: string) => void;
  readonly #shared?: SharedAnswers;
  readonly #queue: WorkItem<T>[][] = [];
  readonly #ready = new Map<number, PredictResult<T>>();
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  #running = 0;
  #nextBatchId = 0;
  #admitted = 0;
  #emitted = 0;
  #nextToEmit = 0;
  #sourceDone = false;
  #closed = false;

  constructor(model: Model, options: ResolvedOptions, observer: RunObserver<T>, parts: RunParts = {}) {
    this.#options = options;
    this.#observer = observer;
    if (options.signal) {
      if (options.signal.aborted) this.#abort.abort(options.signal.reason);
      else options.signal.addEventListener('abort', this.#onUserAbort, { once: true });
    }
    if (options.cache) this.#shared = new SharedAnswers(options.cache === true ? new LruCache() : options.cache, runCacheKey(model.name, options));
    const policy = callPolicyFor(model, options);
    this.#resolve = (parts.resolver ?? ((p) => chatResolver(options, p)))(policy);
    this.#checkText = parts.checkText;
  }

  readonly #onBatch = (event: BatchEvent) => {
    this.#options.stats?.record({ type: 'batch', ...event });
    this.#options.onBatch?.(event);
  };

  /**
   * Turns an input into a work item, or settles it at once as `bad_input` /
   * `too_large` (returning undefined) when it can't be sent.
   */
  admit(input: T): WorkItem<T> | undefined {
    const seq = this.#admitted++;
    const now = Date.now();
    const item: WorkItem<T> = { seq, input, text: '', tokens: 0, batchId: -1, attempts: 0, repairs: 0, triesAlone: 0, admittedAt: now, startedAt: now, done: false, failed: false };
    try {
      item.text = recordText(input, this.#options);
      this.#checkText?.(item.text);
    } catch (error) {
      this.#settle(item, { error: { code: 'bad_input', message: error instanceof Error ? error.message : String(error) }, via: 'single' });
      return undefined;
    }
    item.tokens = estimateTokens(item.text) + PER_RECORD_OVERHEAD_TOKENS;
    if (this.#shared) item.cacheKey = this.#shared.keyOf(item.text);
    const max = this.#options.maxBatchTokens;
    if (max !== undefined && item.tokens > max) {
      this.#settle(item, { error: { code: 'too_large', message: `the record alone is ~${item.tokens} tokens, over maxBatchTokens (${max})` }, via: 'single' });
      return undefined;
    }
    return item;
  }

  /** Queues a batch (from the batching stage) and starts what may start. */
  enqueue(batch: WorkItem<T>[]): void {
    if (this.#closed || batch.length === 0) return;
    this.#queue.push(batch);
    this.#pump();
  }

  sourceComplete(): void {
    this.#sourceDone = true;
    this.#maybeComplete();
  }

  sourceError(error: unknown): void {
    this.#fail(error);
  }

  /** Teardown: aborts every request in flight and sends no more. Idempotent. */
  dispose(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#options.signal?.removeEventListener('abort', this.#onUserAbort);
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    this.#queue.length = 0;
    this.#ready.clear();
    if (!this.#abort.signal.aborted) this.#abort.abort(new Error('unsubscribed'));
  }

  #onUserAbort = () => {
    this.#abort.abort(this.#options.signal!.reason);
    // Records still queued are answered as aborted, so a user abort still yields one result per input.
    for (const batch of this.#queue.splice(0)) for (const item of batch) this.#settle(item, { error: { code: 'aborted', message: 'the run was cancelled before this record was sent' }, via: 'batch' });
  };

  #pump(): void {
    const { concurrency, reorderWindow, ordered } = this.#options;
    while (!this.#closed && this.#running < concurrency && this.#queue.length > 0) {
      const next = this.#queue[0]!;
      // The reorder window bounds results held back behind a slow earlier batch.
      const ahead = next[next.length - 1]!.seq - this.#nextToEmit;
      if (ordered && this.#running > 0 && ahead >= reorderWindow + concurrency * this.#options.batchSize) return;
      this.#queue.shift();
      void this.#runBatch(next);
    }
  }

  async #runBatch(items: WorkItem<T>[]): Promise<void> {
    this.#running++;
    const batchId = this.#nextBatchId++;
    const started = Date.now();
    for (const item of items) {
      item.batchId = batchId;
      item.startedAt = started;
    }
    const { signal, cleanup } = this.#batchSignal(items);
    try {
      const toSend = this.#shared ? await this.#shared.filter(items, this.#settleOne) : items;
      const report = await this.#resolve(toSend, batchId, signal, this.#settleShared);
      this.#onBatch({
        batchId,
        records: items.length,
        requests: report.requests,
        errors: items.filter((i) => i.failed).length,
        repaired: items.filter((i) => i.repairs > 0).length,
        usage: { promptTokens: report.promptTokens, completionTokens: report.completionTokens },
        latencyMs: Date.now() - started,
        warnings: report.warnings,
      });
    } catch (error) {
      // resolveBatch never throws by design; a throw here is a bug or a user callback's error.
      this.#fail(error);
      return;
    } finally {
      cleanup();
      this.#running--;
    }
    this.#pump();
    this.#maybeComplete();
  }

  /** The run's signal, plus a timer for the earliest record's `deadlineMs`. */
  #batchSignal(items: WorkItem<T>[]): { signal: AbortSignal; cleanup: () => void } {
    const deadlineMs = this.#options.deadlineMs;
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

  readonly #settleShared = (item: WorkItem, settlement: Settlement): void => {
    if (this.#shared && item.cacheKey !== undefined) this.#shared.settled(item, settlement, this.#settleOne);
    else this.#settle(item as WorkItem<T>, settlement);
  };

  readonly #settleOne = (item: WorkItem, settlement: Settlement) => this.#settle(item as WorkItem<T>, settlement);

  #settle(item: WorkItem<T>, settlement: Settlement): void {
    if (this.#closed || item.done) return;
    item.done = true;
    const result = toResult(item, settlement, Date.now());
    item.failed = result.error !== undefined;
    if (!this.#options.ordered) return this.#emit(result);
    this.#ready.set(item.seq, result);
    while (this.#ready.has(this.#nextToEmit)) {
      const next = this.#ready.get(this.#nextToEmit)!;
      this.#ready.delete(this.#nextToEmit);
      this.#nextToEmit++;
      this.#emit(next);
      if (this.#closed) return;
    }
    this.#pump();
  }

  #emit(result: PredictResult<T>): void {
    this.#emitted++;
    this.#options.stats?.record({ type: 'result', result });
    if (result.error && this.#options.onError === 'throw') return this.#fail(new PredictError(result));
    this.#observer.next(result);
    this.#maybeComplete();
  }

  #maybeComplete(): void {
    if (this.#closed || !this.#sourceDone || this.#running > 0 || this.#queue.length > 0 || this.#emitted < this.#admitted) return;
    this.dispose();
    this.#observer.complete();
  }

  #fail(error: unknown): void {
    if (this.#closed) return;
    this.dispose();
    this.#observer.error(error);
  }
}
