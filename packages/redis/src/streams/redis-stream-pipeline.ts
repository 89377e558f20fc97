/**
 * A consumer-group pipeline on Redis Streams: core's `runSource` over this
 * package's stream source and sink. Read through the group, predict in batches,
 * write one output entry per input entry, `XACK` the input only after its output
 * is written; entries a dead worker left pending are taken over after
 * `claimIdleMs`. Start as many workers as you like with the same group (and,
 * for one provider quota, a model on the same `redisQuota` key).
 */
import { runSource, type Model, type PredictOptions, type SourceRun, type SourceRunState, type SourceRunStats } from '@mlpredict/core';
import { maxRecordsInFlight, resolveOptions } from '@mlpredict/core/internals';
import { checkName, checkPositive, checkRedisUrl } from '../check-options.js';
import { redisStreamSink, type RedisStreamSink } from './redis-stream-sink.js';
import { redisStreamSource, type RedisStreamSource } from './redis-stream-source.js';

export interface RedisStreamPipelineOptions {
  /** `redis://[[user]:password@]host[:port][/db]` or `rediss://…` */
  url: string;
  /** The input stream: each entry holds the record as JSON in the field `record`. */
  inputStream: string;
  /** The consumer group; created (with the stream, from its first entry) when missing, joined when it exists. */
  group: string;
  /** This worker's name in the group: unique per live worker. Restarted under the same name, it first re-reads what it had pending. */
  consumer: string;
  /** Where results go: one entry per input entry, with `input_id` and `result`. */
  outputStream: string;
  /** Error results go here instead of `outputStream`, with the input's `record` field copied. */
  deadLetterStream?: string;
  /** Any mlpredict model; give it a `redisQuota` (`openAIModel({ …, quota })`) to share one provider quota between workers. */
  model: Model;
  /** The operators' options (`batchSize`, `concurrency`, `promptTemplate`, `valueField`, …), checked at construction. */
  options?: PredictOptions;
  /**
   * An entry pending on another consumer this long is taken over (`XAUTOCLAIM`):
   * its worker is presumed dead. Entries a live worker holds are kept fresh, so a
   * slow prediction is not taken from it.
   * @default 60000
   */
  claimIdleMs?: number;
  /** Entries read and not yet acked, at most; reading pauses there. @default concurrency × batchSize + reorderWindow */
  maxInFlight?: number;
  /** Stops gracefully on SIGTERM and SIGINT (a second signal exits as usual). @default false */
  handleSignals?: boolean;
  /** Entries per `XREADGROUP`. @default 20 (at most maxInFlight) */
  readCount?: number;
  /** How long one read waits for new entries. @default 1000 (at most claimIdleMs / 2) */
  blockMs?: number;
  /** Trim the output and dead-letter streams to about this many entries (`MAXLEN ~`). @default never trimmed */
  maxLen?: number;
  /** How long `stop()` lets batches in flight finish before aborting them (their entries stay pending and are read again). @default 30000 */
  shutdownTimeoutMs?: number;
  /** First delay before a failed output write is tried again, doubling up to 30 s. @default 1000 */
  retryDelayMs?: number;
  /** Output entries per `MULTI`, at most. @default 100 */
  writeBatchSize?: number;
  /** A Redis command without a reply after this long fails (and is retried). @default 5000 */
  commandTimeoutMs?: number;
  /** Aborting stops the pipeline as `stop()` does. */
  signal?: AbortSignal;
  /** Told when Redis can't be reached while reading (reading retries until it is back). @default console.warn */
  onWarning?: (message: string) => void;
  /** A failed output write (it is retried) or ack. */
  onWriteError?: (error: unknown) => void;
}

export type RedisStreamPipelineState = 'idle' | 'starting' | SourceRunState;

export interface RedisStreamPipelineStats extends Omit<SourceRunStats, 'state'> {
  state: RedisStreamPipelineState;
  /** Entries taken over from idle consumers (counted in `read` too). */
  claimed: number;
  /** Entries whose record could not be decoded; each got a `bad_input` result. */
  unreadable: number;
  /** Entries deleted from the input stream while pending (their record is gone; they get no result). */
  deletedWhilePending: number;
}

export interface RedisStreamPipeline {
  /** Connects (a `RedisUnavailableError` if Redis can't be reached), creates or joins the group, and starts reading. Same promise on every call. */
  start(): Promise<void>;
  /** Stops reading, lets batches in flight finish, writes and acks their results, disconnects. Same promise on every call. */
  stop(): Promise<void>;
  stats(): RedisStreamPipelineStats;
  /** Resolves once the pipeline has stopped; rejects if it failed (Redis unreachable at start, a fatal model error such as a bad API key). */
  readonly done: Promise<void>;
}

const DEFAULT_READ_COUNT = 20;

/**
 * Creates a pipeline; nothing connects until `start()`. A bad option throws a
 * TypeError here, naming the option.
 *
 * At-least-once: an input entry is acked only after its output entry is
 * written, so a worker that dies in between leaves it pending, and it is
 * predicted and written again (by another worker after `claimIdleMs`, or by this
 * consumer restarted). Dedupe downstream by `input_id`.
 *
 * @example
 * import { openAIModel } from '@mlpredict/core';
 * import { createRedisStreamPipeline, redisQuota } from '@mlpredict/redis';
 *
 * const url = 'redis://127.0.0.1:6379';
 * const quota = await redisQuota({ url, key: 'openai/gpt-4o-mini', requestsPerMinute: 600 });
 * const pipeline = createRedisStreamPipeline({
 *   url, inputStream: 'reviews', group: 'sentiment', consumer: `worker-${process.pid}`,
 *   outputStream: 'reviews-sentiment', deadLetterStream: 'reviews-failed',
 *   model: openAIModel({ model: 'gpt-4o-mini', quota }),
 *   options: { textField: 'text', valueField: 'sentiment', batchSize: 20 },
 *   claimIdleMs: 60_000, handleSignals: true,
 * });
 * await pipeline.start();
 * await pipeline.done; // after SIGTERM or stop(): in-flight batches written and acked
 * await quota.close();
 */
export function createRedisStreamPipeline(options: RedisStreamPipelineOptions): RedisStreamPipeline {
  const maxInFlight = checkPipelineOptions(options);
  return new StreamPipeline(options, maxInFlight);
}

class StreamPipeline implements RedisStreamPipeline {
  readonly done: Promise<void>;
  readonly #options: RedisStreamPipelineOptions;
  readonly #maxInFlight: number;
  #state: 'idle' | 'starting' | 'stopped' | 'failed' = 'idle';
  #starting?: Promise<void>;
  #stopping?: Promise<void>;
  #source?: RedisStreamSource;
  #run?: SourceRun;
  #resolveDone!: () => void;
  #rejectDone!: (error: unknown) => void;

  constructor(options: RedisStreamPipelineOptions, maxInFlight: number) {
    this.#options = options;
    this.#maxInFlight = maxInFlight;
    this.done = new Promise<void>((resolve, reject) => {
      this.#resolveDone = resolve;
      this.#rejectDone = reject;
    });
    // Whoever awaits start() sees a failure there; `done` must not also crash the process as unhandled.
    this.done.catch(() => undefined);
  }

  start(): Promise<void> {
    this.#starting ??= this.#start();
    return this.#starting;
  }

  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  stats(): RedisStreamPipelineStats {
    const run = this.#run?.stats();
    const source = this.#source?.stats();
    return {
      state: run?.state ?? this.#state,
      read: run?.read ?? 0,
      written: run?.written ?? 0,
      acked: run?.acked ?? 0,
      nacked: run?.nacked ?? 0,
      errors: run?.errors ?? 0,
      writeFailures: run?.writeFailures ?? 0,
      inFlight: run?.inFlight ?? 0,
      peakInFlight: run?.peakInFlight ?? 0,
      maxInFlight: this.#maxInFlight,
      claimed: source?.claimed ?? 0,
      unreadable: source?.unreadable ?? 0,
      deletedWhilePending: source?.deletedWhilePending ?? 0,
    };
  }

  async #start(): Promise<void> {
    if (this.#stopping) throw new Error('createRedisStreamPipeline: stop() was called before start(); make a new pipeline to start again');
    this.#state = 'starting';
    const o = this.#options;
    let source: RedisStreamSource | undefined;
    let sink: RedisStreamSink | undefined;
    try {
      source = await redisStreamSource({
        url: o.url,
        stream: o.inputStream,
        group: o.group,
        consumer: o.consumer,
        readCount: o.readCount ?? Math.min(DEFAULT_READ_COUNT, this.#maxInFlight),
        blockMs: o.blockMs,
        claimIdleMs: o.claimIdleMs,
        commandTimeoutMs: o.commandTimeoutMs,
        onWarning: o.onWarning,
      });
      sink = await redisStreamSink({ url: o.url, outputStream: o.outputStream, deadLetterStream: o.deadLetterStream, maxLen: o.maxLen, commandTimeoutMs: o.commandTimeoutMs });
    } catch (error) {
      await source?.close();
      this.#state = 'failed';
      this.#rejectDone(error);
      throw error;
    }
    this.#source = source;
    this.#run = runSource({
      source,
      sink,
      model: o.model,
      options: o.options,
      maxInFlight: this.#maxInFlight,
      writeBatchSize: o.writeBatchSize,
      shutdownTimeoutMs: o.shutdownTimeoutMs,
      retryDelayMs: o.retryDelayMs,
      handleSignals: o.handleSignals,
      signal: o.signal,
      onWriteError: o.onWriteError,
    });
    this.#run.done.then(this.#resolveDone, this.#rejectDone);
  }

  async #stop(): Promise<void> {
    if (!this.#starting) {
      this.#state = 'stopped';
      this.#resolveDone();
      return;
    }
    // Stopping while connecting: let the start finish, then stop what it started.
    await this.#starting.catch(() => undefined);
    await this.#run?.stop();
  }
}

/** Throws a TypeError naming the first bad option; returns the in-flight bound. */
function checkPipelineOptions(options: RedisStreamPipelineOptions): number {
  if (options === null || typeof options !== 'object') {
    throw new TypeError('createRedisStreamPipeline needs an options object: { url, inputStream, group, consumer, outputStream, model, options, … }');
  }
  checkRedisUrl('url', options.url);
  checkName('inputStream', options.inputStream, 'reviews');
  checkName('group', options.group, 'sentiment');
  checkName('consumer', options.consumer, 'worker-1');
  checkName('outputStream', options.outputStream, 'reviews-sentiment');
  if (options.deadLetterStream !== undefined) checkName('deadLetterStream', options.deadLetterStream, 'reviews-failed');
  // Results written into the input would be read back as records: a loop, never what anyone wants.
  for (const name of ['outputStream', 'deadLetterStream'] as const) {
    if (options[name] === options.inputStream) throw new TypeError(`${name} must differ from inputStream (both are "${options.inputStream}"): results written there would be read back as input`);
  }
  if (options.deadLetterStream !== undefined && options.deadLetterStream === options.outputStream) {
    throw new TypeError('deadLetterStream must differ from outputStream; leave it out to keep errors in outputStream');
  }
  const model = options.model as Partial<Model> | undefined;
  if (!model || typeof model.complete !== 'function') {
    throw new TypeError('createRedisStreamPipeline: option "model" is required: a Model such as openAIModel({ model: "gpt-4o-mini" })');
  }
  checkPositive('claimIdleMs', options.claimIdleMs, { integer: true, min: 10 });
  checkPositive('maxInFlight', options.maxInFlight, { integer: true });
  checkPositive('readCount', options.readCount, { integer: true });
  checkPositive('blockMs', options.blockMs, { integer: true });
  checkPositive('maxLen', options.maxLen, { integer: true });
  checkPositive('writeBatchSize', options.writeBatchSize, { integer: true });
  checkPositive('retryDelayMs', options.retryDelayMs);
  checkPositive('commandTimeoutMs', options.commandTimeoutMs);
  if (options.shutdownTimeoutMs !== undefined && !(typeof options.shutdownTimeoutMs === 'number' && options.shutdownTimeoutMs >= 0)) {
    throw new TypeError(`shutdownTimeoutMs must be a number ≥ 0 (got ${JSON.stringify(options.shutdownTimeoutMs) ?? String(options.shutdownTimeoutMs)}); leave it out for its default`);
  }
  // The operators' options: checked now, with the model's defaults, as runSource will read them.
  const resolved = resolveOptions({ ...options.options, ordered: true, onError: 'emit' }, options.model, 'createRedisStreamPipeline');
  return options.maxInFlight ?? maxRecordsInFlight(resolved);
}
