/**
 * The runner for at-least-once sources: reads messages while it has room,
 * predicts them on one predictor session, writes results through the sink in
 * read order, and acks each message only after its result is written. What an
 * adapter (Kafka, Redis Streams, a queue) would otherwise rebuild — matching
 * results to messages, in-flight counting, ordered acks, retried writes,
 * draining on stop — lives here once.
 */
import type { Model } from '../model/model.js';
import { resolveOptions, type PredictOptions } from '../config/options.js';
import { Predictor } from '../predict/predictor.js';
import { abortableSleep } from '../resilience/abortable-sleep.js';
import type { PredictResult } from '../results/result.js';
import type { Sink, Source, SourceMessage } from './source.js';

/** A result with the message it answers, as the sink receives it. */
export type SourceResult<T = unknown, V = unknown> = PredictResult<T, V, SourceMessage<T>>;

export interface RunSourceOptions<T = unknown, V = unknown> {
  source: Source<T>;
  sink: Sink<T, SourceResult<T, V>>;
  model: Model;
  /** The operators' options (`batchSize`, `concurrency`, `promptTemplate`, …). Results are always in read order. */
  options?: PredictOptions;
  /** Messages read and not yet acked, at most; reading pauses there. @default the session's bound: concurrency × batchSize + reorderWindow */
  maxInFlight?: number;
  /** Results per sink write, at most. @default 100 */
  writeBatchSize?: number;
  /** How long `stop()` lets batches in flight finish before aborting them (their messages are not acked); a write still failing after it is handed back, not retried. @default 30000 */
  shutdownTimeoutMs?: number;
  /** First delay before a failed write is tried again, doubling up to 30 s; writes are retried until they succeed, the run fails, or `stop()`'s grace period ends. @default 1000 */
  retryDelayMs?: number;
  /** Stops gracefully on SIGTERM and SIGINT (a second signal exits as usual). @default false */
  handleSignals?: boolean;
  /** Aborting stops the run as `stop()` does. */
  signal?: AbortSignal;
  /** A failed sink write (it is retried) or ack. */
  onWriteError?: (error: unknown) => void;
}

export type SourceRunState = 'running' | 'stopping' | 'stopped' | 'failed';

export interface SourceRunStats {
  state: SourceRunState;
  /** Messages taken from the source (redeliveries count again). */
  read: number;
  /** Results the sink accepted. */
  written: number;
  acked: number;
  /** Messages handed back unanswered (stop timeout, a fatal error). */
  nacked: number;
  /** Written results that were errors. */
  errors: number;
  writeFailures: number;
  inFlight: number;
  peakInFlight: number;
  maxInFlight: number;
}

export interface SourceRun {
  /** Resolves when the source ended and every result is written and acked, or after `stop()`; rejects if the run failed (a fatal model error, a source that threw). */
  readonly done: Promise<void>;
  /** Stops reading, lets batches in flight finish (aborting after `shutdownTimeoutMs`), writes and acks their results, nacks the rest. Same promise on every call. */
  stop(): Promise<void>;
  stats(): SourceRunStats;
}

const MAX_RETRY_DELAY_MS = 30_000;

/**
 * Runs a source through a model until the source ends or `stop()` is called.
 *
 * At-least-once: a message is acked only after its result is written, and
 * messages are acked in the order they were read (so a partitioned source can
 * commit offsets). A message whose result is not written — the run stopped past
 * its grace period, a fatal model error, a crash — is not acked, and the source
 * delivers it again. Results that are errors (`parse`, `schema`, …) are written
 * like values; a fatal error (bad key, unknown model) stops the run instead, so a
 * fixed setup can process those messages again.
 *
 * @example
 * import { openAIModel, runSource } from '@mlpredict/core';
 *
 * const run = runSource({
 *   source: myQueue.source(), // { next(signal), close() }
 *   sink: { write: async (entries) => { for (const { message, result } of entries) await save(message.key, result); } },
 *   model: openAIModel({ model: 'gpt-4o-mini' }),
 *   options: { valueField: 'sentiment', batchSize: 20 },
 *   handleSignals: true,
 * });
 * await run.done;
 *
 * @param options the source, the sink, the model and its options; see {@link RunSourceOptions}
 * @returns a running {@link SourceRun}
 */
export function runSource<T, V = unknown>(options: RunSourceOptions<T, V>): SourceRun {
  return new SourceRunner<T, V>(options);
}

class SourceRunner<T, V> implements SourceRun {
  readonly done: Promise<void>;
  readonly #options: RunSourceOptions<T, V>;
  readonly #predictor: Predictor<T, V, SourceMessage<T>>;
  /** Results in read order, waiting to be written. */
  readonly #toWrite: SourceResult<T, V>[] = [];
  readonly #reading = new AbortController();
  /** Aborted when stop()'s grace period is over: a failed write is then handed back, not retried (the sink may never come back). */
  readonly #graceOver = new AbortController();
  readonly #stats: Omit<SourceRunStats, 'state' | 'inFlight' | 'maxInFlight'> = { read: 0, written: 0, acked: 0, nacked: 0, errors: 0, writeFailures: 0, peakInFlight: 0 };
  #state: SourceRunState = 'running';
  /** Messages read and not yet acked or handed back. */
  readonly #open = new Set<SourceMessage<T>>();
  #unacked = 0;
  #wakeReader: (() => void) | undefined;
  #wakeWriter: (() => void) | undefined;
  #whenFinished: (() => void) | undefined;
  #sourceEnded = false;
  #failure: { error: unknown } | undefined;
  #stopping: Promise<void> | undefined;
  #resolveDone!: () => void;
  #rejectDone!: (error: unknown) => void;

  constructor(options: RunSourceOptions<T, V>) {
    this.#options = options;
    for (const name of ['source', 'sink', 'model'] as const) {
      if (!options?.[name]) throw new TypeError(`runSource: option "${name}" is required`);
    }
    const resolved = resolveOptions({ ...options.options, ordered: true, onError: 'emit' }, options.model, 'runSource');
    this.#predictor = new Predictor<T, V, SourceMessage<T>>(options.model, resolved, {}, {
      result: (result) => this.#onResult(result),
      error: (error) => this.#fail(error),
    });
    this.done = new Promise<void>((resolve, reject) => {
      this.#resolveDone = resolve;
      this.#rejectDone = reject;
    });
    // A run nobody awaits must not crash the process with an unhandled rejection; `done` still rejects for those who do.
    this.done.catch(() => undefined);
    if (options.signal?.aborted) void this.stop();
    else options.signal?.addEventListener('abort', this.#onSignal, { once: true });
    if (options.handleSignals) {
      process.once('SIGTERM', this.#onSignal);
      process.once('SIGINT', this.#onSignal);
    }
    void this.#read();
    void this.#write();
  }

  /** The bound on unacked messages: the option, or the session's own (which follows `'auto'` tuning). */
  get #maxInFlight(): number {
    return this.#options.maxInFlight ?? this.#predictor.maxInFlight;
  }

  stats(): SourceRunStats {
    return { ...this.#stats, state: this.#state, inFlight: this.#unacked, maxInFlight: this.#maxInFlight };
  }

  stop(): Promise<void> {
    this.#stopping ??= this.#shutDown();
    return this.#stopping;
  }

  readonly #onSignal = () => void this.stop();

  async #read(): Promise<void> {
    const { source } = this.#options;
    try {
      while (this.#state === 'running') {
        if (this.#unacked >= this.#maxInFlight) {
          await new Promise<void>((resolve) => (this.#wakeReader = resolve));
          continue;
        }
        const message = await source.next(this.#reading.signal);
        if (this.#state !== 'running') {
          // Read while stopping: not ours to answer; the source delivers it again.
          if (message) await message.nack?.();
          return;
        }
        if (message === undefined) {
          this.#sourceEnded = true;
          this.#predictor.end();
          this.#wake();
          return;
        }
        this.#stats.read++;
        this.#open.add(message);
        this.#unacked++;
        this.#stats.peakInFlight = Math.max(this.#stats.peakInFlight, this.#unacked);
        if (message.invalid !== undefined) this.#predictor.submitInvalid(message.record, message, message.invalid);
        else this.#predictor.submit(message.record, message);
      }
    } catch (error) {
      if (!this.#reading.signal.aborted) this.#fail(error);
    }
  }

  #onResult(result: SourceResult<T, V>): void {
    if (!result.ok && result.error.fatal) {
      // The setup is wrong (key, model, URL): stop, and leave every unanswered message to be delivered again.
      this.#fail(new Error(`runSource: stopped: ${result.error.message}`, { cause: result.error }));
      return;
    }
    this.#toWrite.push(result);
    this.#wake();
  }

  /** Writes results in read order, a slice at a time; acks each slice's messages after the write; retries a failed write. */
  async #write(): Promise<void> {
    const { sink, writeBatchSize = 100, retryDelayMs = 1000 } = this.#options;
    let delay = retryDelayMs;
    while (!this.#finished()) {
      if (this.#toWrite.length === 0) {
        await new Promise<void>((resolve) => (this.#wakeWriter = resolve));
        continue;
      }
      const slice = this.#toWrite.slice(0, writeBatchSize);
      // An aborted record (the run stopped past its grace period) is not answered: it is handed back, not written.
      const answered = slice.filter((r) => r.ok || r.error.code !== 'aborted');
      try {
        if (answered.length > 0) await sink.write(answered.map((result) => ({ message: result.key, result })));
      } catch (error) {
        this.#stats.writeFailures++;
        this.#options.onWriteError?.(error);
        if (this.#state === 'failed') return;
        if (this.#graceOver.signal.aborted) {
          this.#toWrite.splice(0, slice.length);
          await this.#settleMessages(slice, true);
          continue;
        }
        await abortableSleep(delay, this.#graceOver.signal).catch(() => undefined);
        delay = Math.min(delay * 2, MAX_RETRY_DELAY_MS);
        continue;
      }
      delay = retryDelayMs;
      this.#toWrite.splice(0, slice.length);
      this.#stats.written += answered.length;
      this.#stats.errors += answered.filter((r) => !r.ok).length;
      await this.#settleMessages(slice);
    }
  }

  /** Acks the written messages and nacks the aborted ones (all of them when `handBack`), in read order. */
  async #settleMessages(slice: SourceResult<T, V>[], handBack = false): Promise<void> {
    const settled = slice.map((result) => {
      const aborted = handBack || (!result.ok && result.error.code === 'aborted');
      this.#open.delete(result.key);
      return Promise.resolve()
        .then(() => (aborted ? result.key.nack?.() : result.key.ack()))
        .then(
          () => (aborted ? this.#stats.nacked++ : this.#stats.acked++),
          (error: unknown) => this.#options.onWriteError?.(error),
        );
    });
    this.#unacked -= slice.length;
    await Promise.all(settled);
    this.#wake();
  }

  #finished(): boolean {
    if (this.#state === 'failed') return true;
    const drained = this.#toWrite.length === 0 && this.#unacked === 0;
    return drained && (this.#sourceEnded || this.#state !== 'running') && this.#predictor.inFlight === 0;
  }

  #wake(): void {
    const reader = this.#wakeReader;
    this.#wakeReader = undefined;
    reader?.();
    const writer = this.#wakeWriter;
    this.#wakeWriter = undefined;
    writer?.();
    if (!this.#finished()) return;
    const finished = this.#whenFinished;
    this.#whenFinished = undefined;
    finished?.();
    if (this.#sourceEnded && this.#state === 'running') void this.stop();
  }

  async #shutDown(): Promise<void> {
    if (this.#state === 'running') this.#state = 'stopping';
    this.#detach();
    this.#reading.abort(new Error('stopping'));
    this.#predictor.end();
    this.#wake();
    const { shutdownTimeoutMs = 30_000 } = this.#options;
    const timer = setTimeout(() => {
      this.#predictor.abort(new Error(`stopped: batches still in flight after shutdownTimeoutMs (${shutdownTimeoutMs} ms)`));
      this.#graceOver.abort();
    }, shutdownTimeoutMs);
    try {
      if (!this.#finished()) await new Promise<void>((resolve) => (this.#whenFinished = resolve));
    } finally {
      clearTimeout(timer);
    }
    this.#predictor.close();
    await this.#closeEnds();
    if (this.#failure) {
      this.#rejectDone(this.#failure.error);
      throw this.#failure.error;
    }
    this.#state = 'stopped';
    this.#resolveDone();
  }

  #fail(error: unknown): void {
    if (this.#state === 'failed' || this.#state === 'stopped') return;
    this.#failure = { error };
    this.#state = 'failed';
    this.#detach();
    this.#reading.abort(error);
    this.#predictor.close();
    // Nothing more is written: every message read and not acked is handed back.
    this.#toWrite.length = 0;
    const unanswered = [...this.#open];
    this.#open.clear();
    this.#stats.nacked += unanswered.length;
    void Promise.allSettled(unanswered.map((message) => message.nack?.()));
    this.#wake();
    void this.#closeEnds().then(() => this.#rejectDone(error));
  }

  async #closeEnds(): Promise<void> {
    await Promise.allSettled([this.#options.source.close(), this.#options.sink.close?.()]);
  }

  #detach(): void {
    this.#options.signal?.removeEventListener('abort', this.#onSignal);
    if (this.#options.handleSignals) {
      process.off('SIGTERM', this.#onSignal);
      process.off('SIGINT', this.#onSignal);
    }
  }
}
