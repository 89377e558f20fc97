/**
 * A Kafka consumer-group source on core's source contract. kafkajs pushes
 * batches (`eachBatch`); the runner pulls (`next`). Messages wait in a buffer
 * per partition; while the source holds `maxInFlight` messages (buffered, or
 * handed out and not yet acked) the partitions that would feed more are paused,
 * and while nobody reads the whole topic is. An ack feeds the per-partition
 * offset tracker, so an offset is committed only once it and every earlier
 * message of its partition are acked. A rebalance drops the revoked partitions'
 * messages unacked; Kafka delivers them again to their new owner.
 */
import type { EachBatchPayload, KafkaMessage } from 'kafkajs';
import type { Source, SourceMessage } from '@mlpredict/core';
import type { PipelineConsumer } from './kafka-client.js';
import { FlowControl } from './flow-control.js';
import { decodeJsonOrString, type SourceRecord } from './message-codec.js';
import { OffsetTracker, type PartitionTrack } from './offset-tracker.js';

export interface KafkaSourceOptions<T = unknown> {
  /** A kafkajs consumer made with your group id (`kafka.consumer({ groupId })`), not running yet: the source connects, subscribes and runs it, and disconnects it on `close()`. */
  consumer: PipelineConsumer;
  topic: string;
  /** Where a group without committed offsets starts. @default false (only new messages) */
  fromBeginning?: boolean;
  /** Message → record. A throw makes the message `invalid` (the runner gives it a `bad_input` result). @default the value as JSON, or the raw string when it is not JSON */
  decode?: (message: KafkaMessage, origin: SourceRecord) => T;
  /**
   * Messages taken from Kafka and not yet acked (buffered here or being
   * predicted), at most: the partitions being fed pause there and resume at half
   * of it. Give `runSource` the same bound.
   * @default 1000
   */
  maxInFlight?: number;
  /** First delay before a failed commit is tried again (commits are also retried with every later ack). @default 1000 */
  retryDelayMs?: number;
  /** Told when kafkajs gives up on the consumer (a crash it does not restart from); `next()` rejects with the error too. */
  onCrash?: (error: unknown) => void;
}

/** A message of a Kafka source: `key` is `topic/partition/offset`, `partition` is `topic/partition`. */
export interface KafkaSourceMessage<T = unknown> extends SourceMessage<T> {
  /** Where the message came from: its topic, partition, offset and key (given to `encode`, written as headers). */
  readonly origin: SourceRecord;
  /** False once its partition was revoked (or rewound): acking it commits nothing, and Kafka delivers it again. */
  readonly current: boolean;
}

export interface KafkaSourceStats {
  /** Messages taken from Kafka (redeliveries count again). */
  taken: number;
  /** Messages handed to the reader. */
  handedOut: number;
  acked: number;
  /** Messages the reader handed back (nack): they are delivered again. */
  handedBack: number;
  /** Messages let go uncommitted: their partition was revoked or rewound, or the source closed before they were read. Kafka delivers them again. */
  dropped: number;
  /** Messages held now: buffered, or handed out and not yet acked. */
  inFlight: number;
  peakInFlight: number;
  maxInFlight: number;
  /** Messages buffered now, waiting for the reader. */
  buffered: number;
  /** Partitions paused now for lack of room. */
  paused: number[];
  /** Times a partition was paused for lack of room. */
  pauses: number;
  commits: number;
  commitFailures: number;
  /** Group joins seen (the first assignment counts). */
  rebalances: number;
  /** The last offset committed per partition (the next one to read), as decimal strings. */
  committed: Record<number, string>;
}

/** A running Kafka source; see {@link kafkaSource}. */
export interface KafkaSource<T = unknown> extends Source<T> {
  /** The next message; waits for one. `undefined` once closed, or when `signal` aborts. Once a signal given to `next()` aborts, nobody reads: the topic is paused until `next()` is called again. */
  next(signal?: AbortSignal): Promise<KafkaSourceMessage<T> | undefined>;
  /** Stops fetching, commits what is acked, and disconnects the consumer. Idempotent. */
  close(): Promise<void>;
  stats(): KafkaSourceStats;
}

const DEFAULT_MAX_IN_FLIGHT = 1000;

/**
 * Connects the consumer, joins its group, subscribes to `topic` and starts
 * consuming; resolves with the source once it runs. Run it with `runSource` and
 * a sink (`kafkaSink`, or your own).
 *
 * @example
 * import { Kafka } from 'kafkajs';
 * import { openAIModel, runSource } from '@mlpredict/core';
 * import { kafkaSource } from '@mlpredict/kafka';
 *
 * const kafka = new Kafka({ brokers: ['localhost:9092'] });
 * const source = await kafkaSource({ consumer: kafka.consumer({ groupId: 'sentiment' }), topic: 'reviews', maxInFlight: 200 });
 * const run = runSource({ source, sink: mySink, model: openAIModel({ model: 'gpt-4o-mini' }), maxInFlight: 200, handleSignals: true });
 * await run.done;
 *
 * @param options see {@link KafkaSourceOptions}; a bad one throws a `TypeError` naming it
 * @returns the running source
 */
export async function kafkaSource<T = unknown>(options: KafkaSourceOptions<T>): Promise<KafkaSource<T>> {
  const source = new ConsumerSource<T>(options);
  await source.start();
  return source;
}

/** A message from Kafka until the reader settles it. */
interface Held<T> {
  readonly message: KafkaSourceMessage<T>;
  readonly track: PartitionTrack;
  readonly offset: bigint;
  settled: boolean;
}

interface Waiter<T> {
  resolve(message: KafkaSourceMessage<T> | undefined): void;
  reject(error: unknown): void;
}

class ConsumerSource<T> implements KafkaSource<T> {
  readonly #consumer: PipelineConsumer;
  readonly #topic: string;
  readonly #fromBeginning: boolean;
  readonly #decode: (message: KafkaMessage, origin: SourceRecord) => T;
  readonly #retryDelayMs: number;
  readonly #onCrash: ((error: unknown) => void) | undefined;
  readonly #tracker = new OffsetTracker();
  readonly #flow: FlowControl;
  readonly #buffers = new Map<number, Held<T>[]>();
  readonly #waiters: Waiter<T>[] = [];
  readonly #teardown: (() => void)[] = [];
  readonly #counts = { taken: 0, handedOut: 0, acked: 0, handedBack: 0, dropped: 0, commits: 0, commitFailures: 0, rebalances: 0 };
  readonly #committed = new Map<number, bigint>();
  /** Round-robin position over the partitions' buffers, so one busy partition does not starve the rest. */
  #turn = 0;
  /** A signal given to `next()` aborted and no `next()` came since: nobody reads, the topic is paused. */
  #resting = false;
  /** The signal of the latest `next()`, listened to until the next one comes or the source closes. */
  #watching: { signal: AbortSignal; onAbort: () => void } | undefined;
  #closed = false;
  #closing: Promise<void> | undefined;
  #failure: { error: unknown } | undefined;
  #committing: Promise<void> | undefined;
  #commitRunning = false;
  #commitAgain = false;
  #commitRetry: ReturnType<typeof setTimeout> | undefined;

  constructor(options: KafkaSourceOptions<T>) {
    const need = (ok: boolean, message: string) => {
      if (!ok) throw new TypeError(`kafkaSource: ${message}`);
    };
    need(options !== null && typeof options === 'object', 'expected an options object: { consumer, topic, … }');
    need(typeof options.consumer?.run === 'function', 'consumer: expected a kafkajs consumer (kafka.consumer({ groupId }))');
    need(typeof options.topic === 'string' && options.topic !== '', 'topic: expected a topic name');
    need(options.decode === undefined || typeof options.decode === 'function', 'decode: expected a function');
    const maxInFlight = options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT;
    need(Number.isInteger(maxInFlight) && maxInFlight >= 1, `maxInFlight: expected an integer ≥ 1, got ${String(options.maxInFlight)}`);
    const retryDelayMs = options.retryDelayMs ?? 1000;
    need(Number.isFinite(retryDelayMs) && retryDelayMs >= 0, `retryDelayMs: expected a number ≥ 0, got ${String(options.retryDelayMs)}`);
    this.#consumer = options.consumer;
    this.#topic = options.topic;
    this.#fromBeginning = options.fromBeginning ?? false;
    this.#decode = options.decode ?? ((message) => decodeJsonOrString(message) as T);
    this.#retryDelayMs = retryDelayMs;
    this.#onCrash = options.onCrash;
    const topic = this.#topic;
    this.#flow = new FlowControl({
      maxInFlight,
      // kafkajs throws when the consumer is not running (any more); a pause then has nothing to stop.
      pause: (partitions) => quietly(() => this.#consumer.pause([{ topic, partitions }])),
      resume: (partitions) => quietly(() => this.#consumer.resume([{ topic, partitions }])),
    });
  }

  async start(): Promise<void> {
    try {
      await this.#consumer.connect();
      await this.#consumer.subscribe({ topics: [this.#topic], fromBeginning: this.#fromBeginning });
      this.#teardown.push(
        this.#consumer.on('consumer.group_join', (event) => this.#onGroupJoin(event.payload?.memberAssignment ?? {})),
        this.#consumer.on('consumer.crash', (event) => this.#onCrashEvent(event.payload ?? {})),
      );
      await this.#consumer.run({
        autoCommit: false,
        // Each message taken is resolved by hand; what is left unresolved is fetched again.
        eachBatchAutoResolve: false,
        eachBatch: (payload) => this.#eachBatch(payload),
      });
    } catch (error) {
      this.#closed = true;
      for (const undo of this.#teardown.splice(0)) undo();
      await attempt(() => this.#consumer.disconnect());
      throw error;
    }
  }

  stats(): KafkaSourceStats {
    let buffered = 0;
    for (const buffer of this.#buffers.values()) buffered += buffer.length;
    return {
      ...this.#counts,
      inFlight: this.#flow.inFlight,
      peakInFlight: this.#flow.peakInFlight,
      maxInFlight: this.#flow.maxInFlight,
      buffered,
      paused: this.#flow.held,
      pauses: this.#flow.pauses,
      committed: Object.fromEntries([...this.#committed].map(([partition, offset]) => [partition, String(offset)])),
    };
  }

  // ── the reader's side ───────────────────────────────────────────────────

  async next(signal?: AbortSignal): Promise<KafkaSourceMessage<T> | undefined> {
    if (this.#failure) throw this.#failure.error;
    if (this.#closed) return undefined;
    if (signal?.aborted) {
      this.#rest();
      return undefined;
    }
    this.#watch(signal);
    if (this.#resting) {
      this.#resting = false;
      this.#flow.unsuspend();
    }
    const ready = this.#shift();
    if (ready) return ready;
    return new Promise<KafkaSourceMessage<T> | undefined>((resolve, reject) => {
      const onAbort = () => {
        this.#dropWaiter(waiter);
        resolve(undefined);
      };
      const waiter: Waiter<T> = {
        resolve: (message) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(message);
        },
        reject: (error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.push(waiter);
    });
  }

  close(): Promise<void> {
    return (this.#closing ??= this.#close());
  }

  async #close(): Promise<void> {
    this.#closed = true;
    this.#unwatch();
    for (const waiter of this.#waiters.splice(0)) waiter.resolve(undefined);
    this.#flow.suspend();
    for (const partition of [...this.#buffers.keys()]) this.#discardBuffer(partition);
    clearTimeout(this.#commitRetry);
    // The last acks may be after the last commit: one more, behind any still running.
    await attempt(() => this.#commitSoon());
    for (const undo of this.#teardown.splice(0)) undo();
    await attempt(() => this.#consumer.disconnect());
  }

  /** Hands out the oldest buffered message of the next partition in turn. */
  #shift(): KafkaSourceMessage<T> | undefined {
    const partitions = [...this.#buffers.keys()];
    for (let i = 0; i < partitions.length; i++) {
      const at = (this.#turn + i) % partitions.length;
      const held = this.#buffers.get(partitions[at]!)!.shift();
      if (!held) continue;
      this.#turn = at + 1;
      this.#counts.handedOut++;
      return held.message;
    }
    return undefined;
  }

  #serve(): void {
    while (this.#waiters.length > 0) {
      const message = this.#shift();
      if (!message) return;
      this.#waiters.shift()!.resolve(message);
    }
  }

  #dropWaiter(waiter: Waiter<T>): void {
    const at = this.#waiters.indexOf(waiter);
    if (at >= 0) this.#waiters.splice(at, 1);
  }

  /**
   * The runner reads with one signal for its whole run and aborts it when it
   * stops reading, perhaps while no `next()` is pending (it waits at its bound):
   * that abort is the news that nobody reads any more.
   */
  #watch(signal: AbortSignal | undefined): void {
    if (!signal || this.#watching?.signal === signal) return;
    this.#unwatch();
    const onAbort = () => this.#rest();
    signal.addEventListener('abort', onAbort, { once: true });
    this.#watching = { signal, onAbort };
  }

  #unwatch(): void {
    this.#watching?.signal.removeEventListener('abort', this.#watching.onAbort);
    this.#watching = undefined;
  }

  /** Nobody reads: pause the topic rather than fetch what no one will take. */
  #rest(): void {
    if (this.#resting || this.#closed) return;
    this.#resting = true;
    this.#flow.suspend();
  }

  // ── Kafka's side ─────────────────────────────────────────────────────────

  async #eachBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    if (batch.topic !== this.#topic) return;
    const partition = batch.partition;
    for (const message of batch.messages) {
      // Whatever is left unresolved is fetched again later (or by the partition's
      // next owner), so stopping early never skips a message.
      if (this.#closed || this.#resting || this.#failure || !isRunning() || isStale() || this.#flow.isHeld(partition)) break;
      const track = this.#tracker.track(partition);
      const offset = BigInt(message.offset);
      if (track.hasSeen(offset)) {
        // Delivered again after a rebalance that kept the partition: this source holds it already.
        resolveOffset(message.offset);
        continue;
      }
      if (!this.#flow.hasRoom) {
        this.#flow.hold(partition);
        break;
      }
      this.#take(track, partition, message);
      resolveOffset(message.offset);
    }
    this.#serve();
    // Taking is quick (no model call waits here), so one heartbeat per batch keeps the session alive.
    await heartbeat();
  }

  #take(track: PartitionTrack, partition: number, kafkaMessage: KafkaMessage): void {
    const origin: SourceRecord = { topic: this.#topic, partition, offset: kafkaMessage.offset, key: kafkaMessage.key };
    const offset = BigInt(kafkaMessage.offset);
    track.take(offset);
    this.#flow.add(1);
    this.#counts.taken++;
    let record: T;
    let invalid: string | undefined;
    try {
      record = this.#decode(kafkaMessage, origin);
    } catch (error) {
      // Never a guess: the message gets a bad_input result in its place.
      record = (kafkaMessage.value?.toString('utf8') ?? null) as T;
      invalid = `decode failed: ${errorMessage(error)}`;
    }
    const tracker = this.#tracker;
    const held: Held<T> = {
      track,
      offset,
      settled: false,
      message: {
        key: `${origin.topic}/${partition}/${origin.offset}`,
        partition: `${origin.topic}/${partition}`,
        record,
        ...(invalid === undefined ? {} : { invalid }),
        origin,
        get current() {
          return tracker.isCurrent(track);
        },
        ack: () => this.#settle(held, 'ack'),
        nack: () => this.#settle(held, 'nack'),
      },
    };
    let buffer = this.#buffers.get(partition);
    if (!buffer) this.#buffers.set(partition, (buffer = []));
    buffer.push(held);
  }

  #settle(held: Held<T>, outcome: 'ack' | 'nack'): void {
    if (held.settled) return;
    held.settled = true;
    if (outcome === 'ack') this.#counts.acked++;
    else this.#counts.handedBack++;
    if (!this.#tracker.isCurrent(held.track)) {
      // Its partition was revoked or rewound: not ours to commit; Kafka delivers it again.
      this.#counts.dropped++;
    } else if (outcome === 'ack') {
      held.track.ack(held.offset);
      // Closing commits once more itself, after the last ack.
      if (!this.#closed) void this.#commitSoon();
    } else {
      held.track.giveBack(held.offset);
      if (!this.#closed) this.#rewind(held.track.partition);
    }
    this.#flow.release(1);
  }

  /**
   * A message was handed back: nothing from it on may be committed. Start the
   * partition over from its first unacked message; Kafka delivers from there again.
   */
  #rewind(partition: number): void {
    const old = this.#tracker.rewind(partition);
    this.#discardBuffer(partition);
    const from = old?.redeliverFrom;
    if (from !== undefined) quietly(() => this.#consumer.seek({ topic: this.#topic, partition, offset: String(from) }));
  }

  #discardBuffer(partition: number): void {
    const buffer = this.#buffers.get(partition);
    if (!buffer) return;
    this.#buffers.delete(partition);
    for (const held of buffer) held.settled = true;
    this.#counts.dropped += buffer.length;
    if (buffer.length > 0) this.#flow.release(buffer.length);
  }

  /**
   * A (re)join. kafkajs 2 rebalances eagerly and has no revoke callback, so the
   * new assignment is the news: partitions no longer ours are forgotten (nothing
   * of them is committed by us; their new owner reads them from the last commit).
   * Kept partitions stay: kafkajs fetches them again from the last commit and
   * {@link PartitionTrack.hasSeen} skips what this source holds already.
   */
  #onGroupJoin(assignment: Record<string, number[]>): void {
    this.#counts.rebalances++;
    const owned = new Set(assignment[this.#topic] ?? []);
    for (const partition of this.#tracker.partitions) {
      if (owned.has(partition)) continue;
      this.#tracker.revoke(partition);
      this.#discardBuffer(partition);
      this.#flow.forget(partition);
    }
    // A consumer that kafkajs restarted has forgotten its pauses.
    this.#flow.reapply();
  }

  #onCrashEvent(payload: { error?: unknown; restart?: boolean }): void {
    // kafkajs restarts the consumer itself when it can; when it gives up, so does the source.
    if (payload.restart !== false || this.#failure) return;
    const error = payload.error ?? new Error('the kafkajs consumer crashed');
    this.#failure = { error };
    for (const waiter of this.#waiters.splice(0)) waiter.reject(error);
    this.#onCrash?.(error);
  }

  // ── commits ──────────────────────────────────────────────────────────────

  /**
   * One commit at a time; a commit asked for meanwhile runs right after, with
   * the newest offsets. Resolves when the loop asked (or already running) ends.
   */
  #commitSoon(): Promise<void> {
    this.#commitAgain = true;
    // The loop clears #commitRunning as its last synchronous step, so no ask falls between its last check and its end.
    if (!this.#commitRunning) this.#committing = this.#commitLoop();
    return this.#committing ?? Promise.resolve();
  }

  async #commitLoop(): Promise<void> {
    this.#commitRunning = true;
    try {
      while (this.#commitAgain) {
        this.#commitAgain = false;
        const targets = this.#tracker.commitTargets();
        if (targets.length === 0) continue;
        try {
          await this.#consumer.commitOffsets(targets.map(({ partition, offset }) => ({ topic: this.#topic, partition, offset: String(offset) })));
        } catch {
          // Nothing is lost: these offsets stay uncommitted and are tried again (after a delay, or with the next ack).
          this.#counts.commitFailures++;
          if (!this.#closed && !this.#commitRetry) {
            this.#commitRetry = setTimeout(() => {
              this.#commitRetry = undefined;
              void this.#commitSoon();
            }, this.#retryDelayMs);
          }
          return;
        }
        this.#counts.commits++;
        for (const { partition, offset } of targets) {
          this.#tracker.committed(partition, offset);
          this.#committed.set(partition, offset);
        }
      }
    } finally {
      this.#commitRunning = false;
    }
  }
}

async function attempt(work: () => unknown): Promise<void> {
  try {
    await work();
  } catch {
    // Closing goes on; what was not committed is delivered again.
  }
}

function quietly(work: () => void): void {
  try {
    work();
  } catch {
    // See the callers: a consumer that no longer runs has nothing to pause, resume or seek.
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
