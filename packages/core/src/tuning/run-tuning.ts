/**
 * One run's self-tuning: the batch-size and concurrency tuners fed from what
 * the run sees (each request's outcome and time, each answer's shape), their
 * decisions reported, and batches cut to the current settings when they are
 * sent — so a batch formed before the run learned its limits is never sent
 * whole.
 */
import type { RequestEvent, TuneEvent } from '../results/events.js';
import { BatchSizeTuner, type AnswerSample, type BatchSizeTunerOptions } from './batch-size-tuner.js';
import { ConcurrencyTuner, type ConcurrencyTunerOptions } from './concurrency-tuner.js';
import { cutBatch } from './cut-batch.js';

export interface RunTuningOptions {
  /** With `batchSize: 'auto'`. */
  batchSize?: BatchSizeTunerOptions;
  /** With `concurrency: 'auto'`. */
  concurrency?: ConcurrencyTunerOptions;
  /** Each decision, as it is made (the `onTune` option and `stats`). */
  onTune(event: TuneEvent): void;
  /** The size and token budget new batches are cut to changed (the batcher follows). */
  onLimits?(limits: { size: number; maxTokens?: number }): void;
}

export class RunTuning {
  readonly #batch?: BatchSizeTuner;
  readonly #concurrency?: ConcurrencyTuner;
  readonly #onTune: (event: TuneEvent) => void;
  readonly #onLimits?: (limits: { size: number; maxTokens?: number }) => void;

  /**
   * @example
   * const tuning = new RunTuning({ batchSize: { cap: 50 }, concurrency: { start: 8, max: 64 }, onTune: (e) => console.log(e.message) });
   * for (const part of tuning.partsOf(batch)) send(part);
   */
  constructor(options: RunTuningOptions) {
    this.#onTune = options.onTune;
    this.#onLimits = options.onLimits;
    if (options.batchSize) this.#batch = new BatchSizeTuner(options.batchSize);
    if (options.concurrency) this.#concurrency = new ConcurrencyTuner(options.concurrency);
  }

  /** Reports the starting settings: the first decisions. Separate from construction so the caller is ready for events. */
  start(): void {
    if (this.#batch) {
      this.#onTune({ setting: 'batchSize', to: this.#batch.size, reason: 'start', message: `batch size starts at ${this.#batch.size}, the quality cap (maxBatchSize)` });
      const budget = this.#batch.maxTokens;
      if (budget !== undefined) this.#onTune({ setting: 'maxBatchTokens', to: budget, reason: 'start', message: `batches start under ${budget} tokens of records` });
    }
    if (this.#concurrency) this.#onTune({ setting: 'concurrency', to: this.#concurrency.limit, reason: 'start', message: `concurrency starts at ${this.#concurrency.limit}` });
  }

  /** Batches in flight allowed now; undefined when concurrency is not tuned. */
  get concurrency(): number | undefined {
    return this.#concurrency?.limit;
  }

  /** The size batches are cut to now; undefined when the batch size is not tuned. */
  get batchSize(): number | undefined {
    return this.#batch?.size;
  }

  /** The token budget batches are cut to now (learned context, or the user's `maxBatchTokens`). */
  get maxBatchTokens(): number | undefined {
    return this.#batch?.maxTokens;
  }

  /**
   * Cuts a batch about to be sent to the current size and token budget; now and
   * then (with `probe`, the first time a batch is looked at) its first part is a
   * timing probe at another size.
   */
  partsOf<T extends { tokens: number }>(batch: T[], probe = true): T[][] {
    if (!this.#batch) return [batch];
    const size = this.#batch.size;
    const first = probe ? this.#batch.nextSize() : size;
    if (first !== size && batch.length > Math.min(first, size)) {
      this.#onTune({ setting: 'batchSize', from: size, to: first, reason: 'probe', message: `one batch of ${first} instead of ${size}, to time it` });
    }
    return cutBatch(batch, { size, maxTokens: this.#batch.maxTokens, firstSize: first });
  }

  /** Cuts records whose prompt overflowed into parts that fit what was learned (no probe). */
  fitContext<T extends { tokens: number }>(items: T[]): T[][] {
    if (!this.#batch) return [items];
    return cutBatch(items, { size: items.length, maxTokens: this.#batch.maxTokens });
  }

  /** A request ended. `busy`: batches were waiting for a slot. */
  onRequest(event: RequestEvent, busy: boolean): void {
    // The server's time, without our own waits for the rate windows and slots: waiting on a quota is not the server slowing down.
    const latencyMs = Math.max(0, event.latencyMs - (event.waitMs ?? 0));
    const decision = this.#concurrency?.onRequest({ ok: event.ok, errorKind: event.errorKind, latencyMs, records: event.records }, busy);
    if (decision) this.#onTune({ setting: 'concurrency', ...decision });
    if (this.#batch && event.ok) this.#applyBatch(this.#batch.onTiming({ records: event.records, latencyMs }));
  }

  /** What one request of a batch came back with. */
  onAnswer(sample: AnswerSample): void {
    if (this.#batch) this.#applyBatch(this.#batch.onAnswer(sample));
  }

  #applyBatch(decisions: TuneEvent[]): void {
    if (decisions.length === 0) return;
    for (const decision of decisions) {
      if (decision.setting === 'batchSize') this.#concurrency?.resetLatency();
      this.#onTune(decision);
    }
    this.#onLimits?.({ size: this.#batch!.size, maxTokens: this.#batch!.maxTokens });
  }
}
