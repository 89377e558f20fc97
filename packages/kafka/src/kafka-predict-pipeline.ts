/**
 * The Kafka pipeline: consume a topic with a consumer group, predict every
 * message, produce one result per message, and commit an input offset only once
 * its result and every earlier one of its partition are in the output topic.
 */
import type { EachBatchPayload, KafkaMessage, Message, TopicMessages } from 'kafkajs';
import { Subject, type Subscription } from 'rxjs';
import { mlPredict, type Model, type PredictOptions, type PredictResult } from '@mlpredict/core';
import { maxRecordsInFlight, resolveOptions } from '@mlpredict/core/internals';
import type { PipelineConsumer, PipelineKafka, PipelineProducer } from './kafka-client.js';
import { FlowControl } from './flow-control.js';
import { OffsetTracker, type PartitionTrack, type SendSlice } from './offset-tracker.js';
import { decodeJsonOrString, encodeResultJson, resultMessage, type SourceRecord } from './message-codec.js';

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
  /** The operator's options (`batchSize`, `concurrency`, `promptTemplate`, …). `onError` is always `'emit'`; `signal` stops the pipeline. */
  options?: PredictOptions;
  /** Message → record. @default the value as JSON, or the raw string when it is not JSON */
  decode?: (message: KafkaMessage, source: SourceRecord) => TIn;
  /** Result → produced value. @default `{"input":…,"value":…}` / `{"input":…,"error":{…}}` as JSON */
  encode?: (result: PredictResult<TIn, TValue>, source: SourceRecord) => Buffer | string | null;
  /**
   * Records taken from Kafka and not yet produced, at most. At the bound the
   * partitions being fed are paused; they resume at half of it.
   * @default maxRecordsInFlight(options): concurrency × batchSize + reorderWindow
   */
  maxInFlight?: number;
  /** How long `stop()` lets in-flight batches finish before aborting them. @default 30000 */
  shutdownTimeoutMs?: number;
  /** Stop gracefully on SIGTERM and SIGINT (a second signal kills as usual). @default false */
  handleSignals?: boolean;
  /** First delay before a partition is read again after a failed produce, doubling up to 30 s. @default 1000 */
  retryDelayMs?: number;
  /** Producer acks. @default -1 (all in-sync replicas) */
  acks?: number;
}

/** A snapshot of what the pipeline has done; see {@link KafkaPredictPipeline.stats}. */
export interface KafkaPipelineStats {
  state: PipelineState;
  /** Messages taken from the input topic (redeliveries count again). */
  consumed: number;
  /** Result messages produced (to the output and dead-letter topics). */
  produced: number;
  /** Of those, the ones sent to `deadLetterTopic`. */
  deadLettered: number;
  /** Results that ended in error, wherever they went. */
  errors: number;
  inFlight: number;
  peakInFlight: number;
  maxInFlight: number;
  /** Partitions held now (backpressure or a retry delay). */
  paused: number[];
  /** Times a partition was paused. */
  pauses: number;
  produceFailures: number;
  commits: number;
  commitFailures: number;
  /** Group joins seen (the first assignment counts). */
  rebalances: number;
  /** Results thrown away because their partition was revoked or restarted; Kafka delivers those messages again. */
  dropped: number;
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
  /** Resolves when the pipeline has stopped; rejects if it died (a consumer crash kafkajs gave up on). */
  readonly done: Promise<void>;
}

/** What a partition's track holds for each record once its result is known. */
interface Outgoing {
  topic: string;
  message: Message;
  isError: boolean;
  deadLetter: boolean;
}

/** A record between Kafka and its result. */
interface InFlightRecord {
  source: SourceRecord;
  offset: bigint;
  track: PartitionTrack<Outgoing>;
}

const MAX_RETRY_DELAY_MS = 30_000;

/**
 * Builds a consume → predict → produce → commit pipeline on kafkajs.
 *
 * At-least-once: an input offset is committed only after the result of that
 * message and of every earlier message of its partition has been produced. A
 * failed produce rewinds the partition to its first unproduced message, so
 * nothing is lost; Kafka may deliver a message twice (after a crash, a failed
 * produce or a rebalance), never zero times.
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
  readonly #consumer: PipelineConsumer;
  readonly #producer: PipelineProducer;
  readonly #inputTopic: string;
  readonly #outputTopic: string;
  readonly #deadLetterTopic: string | undefined;
  readonly #fromBeginning: boolean;
  readonly #model: Model;
  readonly #predictOptions: PredictOptions;
  readonly #userSignal: AbortSignal | undefined;
  readonly #decode: (message: KafkaMessage, source: SourceRecord) => TIn;
  readonly #encode: ((result: PredictResult<TIn, TValue>, source: SourceRecord) => Buffer | string | null) | undefined;
  readonly #shutdownTimeoutMs: number;
  readonly #handleSignals: boolean;
  readonly #baseRetryDelayMs: number;
  readonly #acks: number;

  readonly #tracker = new OffsetTracker<Outgoing>();
  readonly #flow: FlowControl;
  readonly #input = new Subject<TIn>();
  readonly #waiting = new Map<number, InFlightRecord>();
  readonly #retryTimers = new Map<number, ReturnType<typeof setTimeout>>();
  readonly #teardown: (() => void)[] = [];
  readonly #idleWaiters = new Set<() => void>();
  readonly #counts = { consumed: 0, produced: 0, deadLettered: 0, errors: 0, produceFailures: 0, commits: 0, commitFailures: 0, rebalances: 0, dropped: 0 };
  readonly #committed = new Map<number, bigint>();

  #state: PipelineState = 'idle';
  #subscription: Subscription | undefined;
  #nextSeq = 0;
  #producing: Promise<void> | undefined;
  #committing: Promise<void> | undefined;
  #commitAgain = false;
  #commitRetryTimer: ReturnType<typeof setTimeout> | undefined;
  #retryDelayMs: number;
  #starting: Promise<void> | undefined;
  #stopping: Promise<void> | undefined;
  #resolveDone!: () => void;
  #rejectDone!: (error: unknown) => void;
  readonly done: Promise<void>;

  constructor(options: KafkaPredictPipelineOptions<TIn, TValue>) {
    const caller = 'createKafkaPredictPipeline';
    const need = (ok: boolean, message: string) => {
      if (!ok) throw new TypeError(`${caller}: ${message}`);
    };
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

    // Validate the operator's options now, with the model's defaults under them, so
    // a typo fails at construction rather than when the first message arrives.
    const { signal, ...predictOptions } = options.options ?? {};
    const resolved = resolveOptions(predictOptions, options.model, caller);
    const maxInFlight = options.maxInFlight ?? maxRecordsInFlight(resolved);
    need(Number.isInteger(maxInFlight) && maxInFlight >= 1, `maxInFlight: expected an integer ≥ 1, got ${String(options.maxInFlight)}`);

    this.#inputTopic = options.inputTopic;
    this.#outputTopic = options.outputTopic;
    this.#deadLetterTopic = options.deadLetterTopic;
    this.#fromBeginning = options.fromBeginning ?? false;
    this.#model = options.model;
    // Errors are data here: they are produced (or dead-lettered) like values.
    this.#predictOptions = { ...predictOptions, onError: 'emit' };
    this.#userSignal = signal as AbortSignal | undefined;
    this.#decode = options.decode ?? ((message) => decodeJsonOrString(message) as TIn);
    this.#encode = options.encode;
    this.#shutdownTimeoutMs = timeout;
    this.#handleSignals = options.handleSignals ?? false;
    this.#baseRetryDelayMs = this.#retryDelayMs = retryDelay;
    this.#acks = options.acks ?? -1;
    this.#flow = new FlowControl({
      maxInFlight,
      pause: (partitions) => this.#consumer.pause([{ topic: this.#inputTopic, partitions }]),
      resume: (partitions) => this.#consumer.resume([{ topic: this.#inputTopic, partitions }]),
    });
    this.done = new Promise<void>((resolve, reject) => {
      this.#resolveDone = resolve;
      this.#rejectDone = reject;
    });
    // A caller that never awaits `done` must not crash the process on a rejection.
    this.done.catch(() => {});
  }

  get stats(): KafkaPipelineStats {
    return {
      state: this.#state,
      ...this.#counts,
      inFlight: this.#flow.inFlight,
      peakInFlight: this.#flow.peakInFlight,
      maxInFlight: this.#flow.maxInFlight,
      paused: this.#flow.held,
      pauses: this.#flow.pauses,
      committed: Object.fromEntries([...this.#committed].map(([partition, offset]) => [partition, String(offset)])),
    };
  }

  start(): Promise<void> {
    if (this.#state !== 'idle') return Promise.reject(new Error(`start(): the pipeline is ${this.#state}; a pipeline starts once`));
    this.#state = 'starting';
    return (this.#starting = this.#start().catch(async (error) => {
      await this.#shutdown({ drain: false, failure: error });
      throw error;
    }));
  }

  stop(): Promise<void> {
    return (this.#stopping ??= this.#shutdown({ drain: true }));
  }

  async #start(): Promise<void> {
    await this.#consumer.connect();
    await this.#producer.connect();
    await this.#consumer.subscribe({ topics: [this.#inputTopic], fromBeginning: this.#fromBeginning });
    this.#teardown.push(
      this.#consumer.on('consumer.group_join', (event) => this.#onGroupJoin(event.payload?.memberAssignment ?? {})),
      this.#consumer.on('consumer.crash', (event) => this.#onCrash(event.payload ?? {})),
    );
    this.#subscription = this.#input.pipe(mlPredict<TIn, TValue>(this.#model, this.#predictOptions)).subscribe({
      next: (result) => this.#onResult(result),
      error: (error) => void this.#fail(error),
      complete: () => this.#checkIdle(),
    });
    this.#state = 'running';
    await this.#consumer.run({
      autoCommit: false,
      // We resolve each message we take; what we leave unresolved is fetched again.
      eachBatchAutoResolve: false,
      eachBatch: (payload) => this.#eachBatch(payload),
    });
    if (this.#handleSignals) {
      const onSignal = () => void this.stop();
      process.once('SIGTERM', onSignal);
      process.once('SIGINT', onSignal);
      this.#teardown.push(() => {
        process.off('SIGTERM', onSignal);
        process.off('SIGINT', onSignal);
      });
    }
    if (this.#userSignal) {
      const onAbort = () => void this.stop();
      if (this.#userSignal.aborted) onAbort();
      else this.#userSignal.addEventListener('abort', onAbort, { once: true });
      this.#teardown.push(() => this.#userSignal!.removeEventListener('abort', onAbort));
    }
  }

  // ── consume ──────────────────────────────────────────────────────────────

  async #eachBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    if (batch.topic !== this.#inputTopic) return;
    const partition = batch.partition;
    for (const message of batch.messages) {
      // Whatever is left unresolved here is fetched again later (or by the
      // partition's next owner), so returning early never skips a message.
      if (this.#state !== 'running' || !isRunning() || isStale() || this.#flow.isHeld(partition)) return;
      const track = this.#tracker.track(partition);
      const offset = BigInt(message.offset);
      if (track.hasSeen(offset)) {
        // Redelivered after a rebalance that kept this partition: it is in flight already.
        resolveOffset(message.offset);
        continue;
      }
      if (!this.#flow.hasRoom) {
        this.#flow.hold(partition, 'room');
        return;
      }
      this.#take(track, batch.topic, partition, message);
      resolveOffset(message.offset);
    }
    await heartbeat();
  }

  #take(track: PartitionTrack<Outgoing>, topic: string, partition: number, message: KafkaMessage): void {
    const source: SourceRecord = { topic, partition, offset: message.offset, key: message.key };
    const record: InFlightRecord = { source, offset: BigInt(message.offset), track };
    track.take(record.offset);
    this.#flow.add(1);
    this.#counts.consumed++;
    let input: TIn;
    try {
      input = this.#decode(message, source);
    } catch (error) {
      this.#settle(record, badInput(message, `decode failed: ${errorMessage(error)}`) as PredictResult<TIn, TValue>);
      return;
    }
    const seq = this.#nextSeq++;
    this.#waiting.set(seq, record);
    this.#input.next(input);
  }

  // ── results ──────────────────────────────────────────────────────────────

  #onResult(result: PredictResult<TIn, TValue>): void {
    const record = this.#waiting.get(result.seq);
    if (!record) return;
    this.#waiting.delete(result.seq);
    this.#settle(record, result);
  }

  #settle(record: InFlightRecord, result: PredictResult<TIn, TValue>): void {
    if (!this.#tracker.isCurrent(record.track)) {
      // Its partition was revoked or rewound: Kafka delivers the message again.
      this.#counts.dropped++;
      this.#release(1);
      return;
    }
    record.track.settle(record.offset, this.#outgoing(record.source, result));
    this.#produceSoon();
  }

  #outgoing(source: SourceRecord, result: PredictResult<TIn, TValue>): Outgoing {
    let value: Buffer | string | null;
    let error = result.error;
    try {
      value = this.#encode ? this.#encode(result, source) : encodeResultJson(result);
    } catch (encodeError) {
      // The record still needs exactly one output: send it as an error instead.
      error = { code: 'bad_input', message: `encode failed: ${errorMessage(encodeError)}`, attempts: result.meta.attempts };
      value = encodeResultJson({ input: result.input, error });
    }
    const deadLetter = !!error && this.#deadLetterTopic !== undefined;
    return {
      topic: deadLetter ? this.#deadLetterTopic! : this.#outputTopic,
      message: resultMessage(source, value, error?.code),
      isError: !!error,
      deadLetter,
    };
  }

  // ── produce ──────────────────────────────────────────────────────────────

  /** One send at a time, so a partition's results reach the producer in order. */
  #produceSoon(): void {
    if (this.#producing) return;
    const slices = this.#tracker.takeSendable();
    if (slices.length === 0) return;
    this.#producing = (async () => {
      for (let next = slices; next.length > 0; next = this.#tracker.takeSendable()) await this.#send(next);
      this.#producing = undefined;
      this.#checkIdle();
    })();
  }

  async #send(slices: SendSlice<Outgoing>[]): Promise<void> {
    const byTopic = new Map<string, Message[]>();
    let count = 0;
    for (const slice of slices) {
      for (const outgoing of slice.messages) {
        let messages = byTopic.get(outgoing.topic);
        if (!messages) byTopic.set(outgoing.topic, (messages = []));
        messages.push(outgoing.message);
        count++;
      }
    }
    const topicMessages: TopicMessages[] = [...byTopic].map(([topic, messages]) => ({ topic, messages }));
    try {
      await this.#producer.sendBatch({ topicMessages, acks: this.#acks });
    } catch {
      this.#counts.produceFailures++;
      for (const slice of slices) this.#rewind(slice.track);
      this.#release(count);
      return;
    }
    this.#retryDelayMs = this.#baseRetryDelayMs;
    for (const slice of slices) {
      // A slice whose partition was revoked or rewound meanwhile is out, but not ours to commit.
      if (this.#tracker.isCurrent(slice.track)) slice.track.produced(slice);
      for (const outgoing of slice.messages) {
        this.#counts.produced++;
        if (outgoing.isError) this.#counts.errors++;
        if (outgoing.deadLetter) this.#counts.deadLettered++;
      }
    }
    this.#release(count);
    this.#commitSoon();
  }

  /**
   * A produce failed: nothing from the failed send on may be committed. Start the
   * partition over from its first unproduced message and have Kafka deliver from
   * there again, after a delay that grows while produces keep failing.
   */
  #rewind(track: PartitionTrack<Outgoing>): void {
    if (!this.#tracker.isCurrent(track)) return;
    const partition = track.partition;
    this.#tracker.reset(partition);
    // Results not yet handed to the producer are dropped now; those still being
    // predicted are dropped when they arrive (their track is no longer current).
    const unsent = track.unsentReady;
    this.#counts.dropped += unsent;
    this.#release(unsent);
    const from = track.redeliverFrom;
    if (this.#state !== 'running' || from === undefined) return;
    this.#flow.hold(partition, 'retry');
    this.#consumer.seek({ topic: this.#inputTopic, partition, offset: String(from) });
    clearTimeout(this.#retryTimers.get(partition));
    const delay = this.#retryDelayMs;
    this.#retryDelayMs = Math.min(Math.max(1, this.#retryDelayMs * 2), MAX_RETRY_DELAY_MS);
    this.#retryTimers.set(
      partition,
      setTimeout(() => {
        this.#retryTimers.delete(partition);
        this.#flow.unhold(partition, 'retry');
      }, delay),
    );
  }

  // ── commit ───────────────────────────────────────────────────────────────

  /** One commit at a time; a commit asked for meanwhile runs right after with the newest offsets. */
  #commitSoon(): void {
    if (this.#committing) {
      this.#commitAgain = true;
      return;
    }
    this.#committing = this.#commitLoop().finally(() => (this.#committing = undefined));
  }

  async #commitLoop(): Promise<void> {
    do {
      this.#commitAgain = false;
      const targets = this.#tracker.commitTargets();
      if (targets.length === 0) return;
      try {
        await this.#consumer.commitOffsets(targets.map(({ partition, offset }) => ({ topic: this.#inputTopic, partition, offset: String(offset) })));
      } catch {
        // Nothing is lost: these offsets stay uncommitted and are tried again.
        this.#counts.commitFailures++;
        if (this.#state === 'running' && !this.#commitRetryTimer) {
          this.#commitRetryTimer = setTimeout(() => {
            this.#commitRetryTimer = undefined;
            this.#commitSoon();
          }, this.#baseRetryDelayMs);
        }
        return;
      }
      this.#counts.commits++;
      for (const { partition, offset } of targets) {
        this.#tracker.committed(partition, offset);
        this.#committed.set(partition, offset);
      }
    } while (this.#commitAgain);
  }

  // ── group membership ─────────────────────────────────────────────────────

  /**
   * A (re)join: partitions we no longer own are forgotten, so nothing in flight
   * for them is produced or committed by us; their new owner reads them from the
   * last commit. Partitions we kept stay in flight: kafkajs fetches them again from
   * the last commit, and {@link PartitionTrack.hasSeen} skips what we already hold.
   */
  #onGroupJoin(assignment: Record<string, number[]>): void {
    this.#counts.rebalances++;
    const owned = new Set(assignment[this.#inputTopic] ?? []);
    for (const partition of this.#tracker.partitions) {
      if (owned.has(partition)) continue;
      const revoked = this.#tracker.revoke(partition)!;
      this.#counts.dropped += revoked.unsentReady;
      this.#release(revoked.unsentReady);
      clearTimeout(this.#retryTimers.get(partition));
      this.#retryTimers.delete(partition);
      this.#flow.forget(partition);
    }
    // A consumer that kafkajs restarted has forgotten its paused partitions.
    this.#flow.reapply();
    if (this.#state === 'stopping') this.#consumer.pause([{ topic: this.#inputTopic }]);
  }

  #onCrash(payload: { error?: unknown; restart?: boolean }): void {
    // kafkajs restarts the consumer itself when it can; when it gives up, so do we.
    if (payload.restart === false) void this.#fail(payload.error ?? new Error('the kafkajs consumer crashed'));
  }

  // ── shutdown ─────────────────────────────────────────────────────────────

  #release(records: number): void {
    if (records === 0) return;
    this.#flow.release(records);
    this.#checkIdle();
  }

  #checkIdle(): void {
    if (this.#flow.inFlight > 0 || this.#producing) return;
    for (const wake of this.#idleWaiters) wake();
    this.#idleWaiters.clear();
  }

  /** Resolves true once nothing is in flight, or false after `timeoutMs`. */
  #whenIdle(timeoutMs: number): Promise<boolean> {
    if (this.#flow.inFlight === 0 && !this.#producing) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#idleWaiters.delete(wake);
        resolve(false);
      }, timeoutMs);
      const wake = () => {
        clearTimeout(timer);
        resolve(true);
      };
      this.#idleWaiters.add(wake);
    });
  }

  #fail(error: unknown): Promise<void> {
    return (this.#stopping ??= this.#shutdown({ drain: false, failure: error }));
  }

  async #shutdown({ drain, failure }: { drain: boolean; failure?: unknown }): Promise<void> {
    if (this.#state === 'idle') {
      this.#state = 'stopped';
      this.#resolveDone();
      return;
    }
    if (this.#state === 'starting' && this.#starting && !failure) await this.#starting.catch(() => {});
    if (this.#state === 'stopped' || this.#state === 'failed') return;
    this.#state = 'stopping';
    for (const undo of this.#teardown.splice(0)) undo();
    // Stop fetching first: nothing new is taken while we drain.
    this.#flow.freeze();
    for (const timer of this.#retryTimers.values()) clearTimeout(timer);
    this.#retryTimers.clear();
    clearTimeout(this.#commitRetryTimer);
    await attempt(() => this.#consumer.pause([{ topic: this.#inputTopic }]));
    this.#input.complete();
    const drained = drain && (await this.#whenIdle(this.#shutdownTimeoutMs));
    if (!drained) {
      // Aborts the model requests in flight; their messages stay uncommitted.
      this.#subscription?.unsubscribe();
    }
    await this.#producing;
    await this.#committing;
    await attempt(() => this.#commitLoop());
    this.#subscription?.unsubscribe();
    await attempt(() => this.#consumer.disconnect());
    await attempt(() => this.#producer.disconnect());
    if (failure === undefined) {
      this.#state = 'stopped';
      this.#resolveDone();
    } else {
      this.#state = 'failed';
      this.#rejectDone(failure);
    }
  }
}

async function attempt(work: () => unknown): Promise<void> {
  try {
    await work();
  } catch {
    // Shutdown goes on; what was not committed is delivered again.
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The result for a message that never reached the model. */
function badInput(message: KafkaMessage, reason: string): PredictResult {
  return {
    ok: false,
    input: message.value?.toString('utf8') ?? null,
    seq: -1,
    key: -1,
    error: { code: 'bad_input', message: reason, attempts: 0 },
    meta: { batchId: -1, attempts: 0, via: 'single', repairs: 0, latencyMs: 0 },
  };
}
