/**
 * The Kafka pipeline: a {@link kafkaSource} and a {@link kafkaSink} run by
 * core's `runSource`. The runner matches results to messages, writes them in
 * read order, acks after the write, bounds what is in flight, retries failed
 * produces and stops gracefully; the source turns acks into offset commits; the
 * sink produces. What is left here is options, start and stop, and one stats view.
 */
import type { KafkaMessage } from 'kafkajs';
import { runSource, type Model, type PredictOptions, type SourceResult, type SourceRun } from '@mlpredict/core';
import { maxRecordsInFlight, resolveOptions } from '@mlpredict/core/internals';
import type { PipelineConsumer, PipelineKafka, PipelineProducer } from './kafka-client.js';
import { kafkaSink, type KafkaSink } from './kafka-sink.js';
import { kafkaSource, type KafkaSource } from './kafka-source.js';
import type { SourceRecord } from './message-codec.js';

/** Options of {@link createKafkaPredictPipeline}. */
export interface KafkaPredictPipelineOptions<TIn = unknown, TValue = unknown> {
  /** A kafkajs `Kafka` (or `FakeKafka`); the pipeline makes its consumer (with `groupId`) and producer. */
  kafka?: PipelineKafka;
  /** Or your own consumer and producer, instead of `kafka`. The pipeline connects and disconnects them. */
  consumer?: PipelineConsumer;
  producer?: PipelineProducer;
  /** The consumer group; required with `kafka`. */
  groupId?: string;
  inputTopic: string;
  outputTopic: string;
  /** When set, results that end in error go here instead of to `outputTopic`. */
  deadLetterTopic?: string;
  /** Where a group without committed offsets starts. @default false (only new messages) */
  fromBeginning?: boolean;
  model: Model;
  /** The operator's options (`batchSize`, `concurrency`, `promptTemplate`, …). Results are always in input order and errors are data; `signal` stops the pipeline like `stop()`. */
  options?: PredictOptions;
  /** Message → record. A throw gives the message a `bad_input` result. @default the value as JSON, or the raw string when it is not JSON */
  decode?: (message: KafkaMessage, source: SourceRecord) => TIn;
  /** Result → produced value. A throw turns the result into a `bad_input` error. @default `{"input":…,"value":…}` / `{"input":…,"error":{…}}` as JSON */
  encode?: (result: SourceResult<TIn, TValue>, source: SourceRecord) => Buffer | string | null;
  /**
   * Messages taken from Kafka and not yet produced and acked, at most. At the
   * bound the partitions being fed are paused; they resume at half of it.
   * @default concurrency × batchSize + reorderWindow
   */
  maxInFlight?: number;
  /** How long `stop()` lets in-flight batches finish before aborting them. @default 30000 */
  shutdownTimeoutMs?: number;
  /** Stop gracefully on SIGTERM and SIGINT (a second signal kills as usual). @default false */
  handleSignals?: boolean;
  /** First delay before a failed produce (or commit) is tried again, doubling up to 30 s. @default 1000 */
  retryDelayMs?: number;
  /** Producer acks: -1 (all in-sync replicas), 1 (the leader) or 0. @default -1 */
  acks?: number;
}

/** A snapshot of what the pipeline has done; see {@link KafkaPredictPipeline.stats}. */
export interface KafkaPipelineStats {
  state: PipelineState;
  /** Messages read from the input topic and given to the model (redeliveries count again). */
  consumed: number;
  /** Result messages produced (to the output and dead-letter topics). */
  produced: number;
  /** Of those, the ones sent to `deadLetterTopic`. */
  deadLettered: number;
  /** Results that ended in error, wherever they went. */
  errors: number;
  /** Messages taken from Kafka and not yet acked: buffered, being predicted, or being produced. */
  inFlight: number;
  peakInFlight: number;
  maxInFlight: number;
  /** Partitions paused now for lack of room. */
  paused: number[];
  /** Times a partition was paused for lack of room. */
  pauses: number;
  /** Produces that failed; the pipeline produced those results again. */
  produceFailures: number;
  commits: number;
  commitFailures: number;
  /** Group joins seen (the first assignment counts). */
  rebalances: number;
  /** Messages let go uncommitted because their partition was revoked, or read ahead when the pipeline stopped; Kafka delivers them again. */
  dropped: number;
  /** Messages handed back unanswered (a stop past `shutdownTimeoutMs`, a fatal model error); uncommitted, Kafka delivers them again. */
  nacked: number;
  /** The last offset committed per partition (the next one to read), as decimal strings. */
  committed: Record<number, string>;
}

export type PipelineState = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped' | 'failed';

/** A running pipeline; see {@link createKafkaPredictPipeline}. */
export interface KafkaPredictPipeline {
  /** Connects, joins the group and starts consuming; resolves once consuming. Call once. */
  start(): Promise<void>;
  /**
   * Stops fetching, lets in-flight batches finish (aborting them after
   * `shutdownTimeoutMs`), produces their results, commits, and disconnects.
   * Safe to call more than once; every call returns the same promise.
   */
  stop(): Promise<void>;
  readonly stats: KafkaPipelineStats;
  /** Resolves when the pipeline has stopped; rejects if it died (a fatal model error, a consumer crash kafkajs gave up on). */
  readonly done: Promise<void>;
}

/**
 * Builds a consume → predict → produce → commit pipeline on kafkajs.
 *
 * At-least-once: an input offset is committed only after the result of that
 * message and of every earlier message of its partition has been produced. A
 * failed produce is retried; nothing is lost. Kafka may deliver a message twice
 * (after a crash or a rebalance), never zero times.
 *
 * @example
 * import { Kafka } from 'kafkajs';
 * import { openAIModel } from '@mlpredict/core';
 * import { createKafkaPredictPipeline } from '@mlpredict/kafka';
 *
 * const pipeline = createKafkaPredictPipeline({
 *   kafka: new Kafka({ brokers: ['localhost:9092'] }),
 *   groupId: 'sentiment', inputTopic: 'reviews', outputTopic: 'reviews-sentiment', deadLetterTopic: 'reviews-failed',
 *   model: openAIModel({ model: 'gpt-4o-mini' }),
 *   options: { batchSize: 20, concurrency: 4, valueField: 'sentiment', instruction: 'Classify the sentiment of each review.' },
 *   handleSignals: true,
 * });
 * await pipeline.start();
 * await pipeline.done; // until SIGTERM
 *
 * @param options see {@link KafkaPredictPipelineOptions}; validated here, a bad one throws a `TypeError` naming it
 * @returns a pipeline to `start()` and `stop()`
 */
export function createKafkaPredictPipeline<TIn = unknown, TValue = unknown>(
  options: KafkaPredictPipelineOptions<TIn, TValue>,
): KafkaPredictPipeline {
  return new Pipeline(options);
}

class Pipeline<TIn, TValue> implements KafkaPredictPipeline {
  readonly #options: KafkaPredictPipelineOptions<TIn, TValue>;
  readonly #consumer: PipelineConsumer;
  readonly #producer: PipelineProducer;
  readonly #predictOptions: PredictOptions;
  readonly #signal: AbortSignal | undefined;
  readonly #maxInFlight: number;
  readonly #retryDelayMs: number;
  #state: PipelineState = 'idle';
  #source: KafkaSource<TIn> | undefined;
  #sink: KafkaSink<TIn, TValue> | undefined;
  #run: SourceRun | undefined;
  #crash: { error: unknown } | undefined;
  #starting: Promise<void> | undefined;
  #stopping: Promise<void> | undefined;
  #finished: Promise<void> | undefined;
  #resolveDone!: () => void;
  #rejectDone!: (error: unknown) => void;
  readonly done: Promise<void>;

  constructor(options: KafkaPredictPipelineOptions<TIn, TValue>) {
    const caller = 'createKafkaPredictPipeline';
    const need = (ok: boolean, message: string) => {
      if (!ok) throw new TypeError(`${caller}: ${message}`);
    };
    need(options !== null && typeof options === 'object', 'expected an options object: { kafka, groupId, inputTopic, outputTopic, model, … }');
    need(typeof options.inputTopic === 'string' && options.inputTopic !== '', 'inputTopic: expected a topic name');
    need(typeof options.outputTopic === 'string' && options.outputTopic !== '', 'outputTopic: expected a topic name');
    need(options.deadLetterTopic === undefined || (typeof options.deadLetterTopic === 'string' && options.deadLetterTopic !== ''), 'deadLetterTopic: expected a topic name');
    need(options.inputTopic !== options.outputTopic && options.inputTopic !== options.deadLetterTopic, 'outputTopic/deadLetterTopic: must differ from inputTopic, or results would be read back as input');
    need(typeof options.model?.complete === 'function', 'model: expected a Model (an object with complete())');
    need(options.decode === undefined || typeof options.decode === 'function', 'decode: expected a function');
    need(options.encode === undefined || typeof options.encode === 'function', 'encode: expected a function');
    const timeout = options.shutdownTimeoutMs ?? 30_000;
    need(Number.isFinite(timeout) && timeout >= 0, `shutdownTimeoutMs: expected a number ≥ 0, got ${String(options.shutdownTimeoutMs)}`);
    const retryDelay = options.retryDelayMs ?? 1000;
    need(Number.isFinite(retryDelay) && retryDelay >= 0, `retryDelayMs: expected a number ≥ 0, got ${String(options.retryDelayMs)}`);
    need(options.acks === undefined || [-1, 0, 1].includes(options.acks), `acks: expected -1, 0 or 1, got ${String(options.acks)}`);

    if (options.consumer || options.producer) {
      need(!!options.consumer && !!options.producer, 'consumer and producer: give both, or give kafka instead');
      this.#consumer = options.consumer!;
      this.#producer = options.producer!;
    } else {
      need(!!options.kafka, 'kafka: expected a kafkajs Kafka client (or consumer and producer)');
      need(typeof options.groupId === 'string' && options.groupId !== '', 'groupId: expected a consumer group id (required with kafka)');
      this.#consumer = options.kafka!.consumer({ groupId: options.groupId! });
      this.#producer = options.kafka!.producer();
    }

    // Validate the operator's options now, as the runner will read them, so a typo
    // fails at construction rather than when the first message arrives.
    const { signal, ...predictOptions } = options.options ?? {};
    const resolved = resolveOptions({ ...predictOptions, ordered: true, onError: 'emit' }, options.model, caller);
    const maxInFlight = options.maxInFlight ?? maxRecordsInFlight(resolved);
    need(Number.isInteger(maxInFlight) && maxInFlight >= 1, `maxInFlight: expected an integer ≥ 1, got ${String(options.maxInFlight)}`);

    this.#options = options;
    this.#predictOptions = predictOptions;
    // A user's signal stops the pipeline gracefully; handed to the model it would abort batches at once.
    this.#signal = signal as AbortSignal | undefined;
    this.#maxInFlight = maxInFlight;
    this.#retryDelayMs = retryDelay;
    this.done = new Promise<void>((resolve, reject) => {
      this.#resolveDone = resolve;
      this.#rejectDone = reject;
    });
    // A caller that never awaits `done` must not crash the process on a rejection.
    this.done.catch(() => undefined);
  }

  get stats(): KafkaPipelineStats {
    const source = this.#source?.stats();
    const sink = this.#sink?.stats();
    const run = this.#run?.stats();
    return {
      state: this.#state === 'running' && run?.state !== 'running' ? 'stopping' : this.#state,
      consumed: run?.read ?? 0,
      produced: sink?.produced ?? 0,
      deadLettered: sink?.deadLettered ?? 0,
      errors: sink?.errors ?? 0,
      inFlight: source?.inFlight ?? 0,
      peakInFlight: source?.peakInFlight ?? 0,
      maxInFlight: this.#maxInFlight,
      paused: source?.paused ?? [],
      pauses: source?.pauses ?? 0,
      produceFailures: sink?.produceFailures ?? 0,
      commits: source?.commits ?? 0,
      commitFailures: source?.commitFailures ?? 0,
      rebalances: source?.rebalances ?? 0,
      dropped: source?.dropped ?? 0,
      nacked: run?.nacked ?? 0,
      committed: source?.committed ?? {},
    };
  }

  start(): Promise<void> {
    if (this.#state !== 'idle') return Promise.reject(new Error(`start(): the pipeline is ${this.#state}; a pipeline starts once`));
    this.#state = 'starting';
    return (this.#starting = this.#start());
  }

  stop(): Promise<void> {
    return (this.#stopping ??= this.#stop());
  }

  async #start(): Promise<void> {
    const options = this.#options;
    try {
      this.#source = await kafkaSource<TIn>({
        consumer: this.#consumer,
        topic: options.inputTopic,
        fromBeginning: options.fromBeginning,
        decode: options.decode,
        maxInFlight: this.#maxInFlight,
        retryDelayMs: this.#retryDelayMs,
        onCrash: (error) => this.#onCrash(error),
      });
      this.#sink = await kafkaSink<TIn, TValue>({ producer: this.#producer, topic: options.outputTopic, deadLetterTopic: options.deadLetterTopic, encode: options.encode, acks: options.acks });
    } catch (error) {
      await this.#source?.close();
      await this.#producer.disconnect().catch(() => undefined);
      this.#settle('failed', error);
      throw error;
    }
    const run = runSource<TIn, TValue>({
      source: this.#source,
      sink: this.#sink,
      model: options.model,
      options: this.#predictOptions,
      maxInFlight: this.#maxInFlight,
      shutdownTimeoutMs: options.shutdownTimeoutMs,
      retryDelayMs: this.#retryDelayMs,
      handleSignals: options.handleSignals,
      signal: this.#signal,
    });
    this.#run = run;
    this.#state = 'running';
    this.#finished = run.done.then(
      () => (this.#crash ? this.#settle('failed', this.#crash.error) : this.#settle('stopped')),
      (error: unknown) => this.#settle('failed', error),
    );
    if (this.#crash) void run.stop().catch(() => undefined);
  }

  async #stop(): Promise<void> {
    if (this.#state === 'idle') {
      this.#settle('stopped');
      return;
    }
    await this.#starting?.catch(() => undefined);
    await this.#run?.stop().catch(() => undefined);
    await this.#finished;
  }

  /** kafkajs gave up on the consumer: stop, and let `done` say why. */
  #onCrash(error: unknown): void {
    this.#crash ??= { error };
    void this.#run?.stop().catch(() => undefined);
  }

  #settle(state: 'stopped' | 'failed', error?: unknown): void {
    if (this.#state === 'stopped' || this.#state === 'failed') return;
    this.#state = state;
    if (state === 'stopped') this.#resolveDone();
    else this.#rejectDone(error);
  }
}
