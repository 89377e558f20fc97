/**
 * An in-process fake of the kafkajs client, for tests and demos without a broker:
 * topics with partitions and offsets, consumer groups with committed offsets and
 * rebalances, `eachBatch` / `eachMessage` delivery with pause, resume and seek, and
 * a producer that can be told to fail.
 *
 * It follows kafkajs 2.2 where the pipeline depends on it:
 * - the next fetch of a partition starts after the last offset resolved (or at the
 *   committed offset): what a handler leaves unresolved is delivered again;
 * - a rebalance (a member joining or leaving, or {@link FakeKafka.rebalance}) waits
 *   until every member has rejoined, then starts each partition over from its
 *   committed offset and emits `consumer.group_join` with the new assignment;
 *   pauses survive it, as they do in kafkajs;
 * - a commit from a member whose group is rebalancing fails, as a stale
 *   generation does on a broker; `commitOffsets` after `stop()` is silently
 *   ignored, as in kafkajs;
 * - `seek` takes effect on the next fetch and makes `isStale()` true until then;
 * - pauses follow kafkajs's SubscriptionState: pausing partitions ends a
 *   topic-wide pause, resuming one partition of a paused topic resumes just it;
 * - a handler that throws "crashes" the consumer, which restarts from the
 *   committed offsets with its pauses forgotten (`consumer.crash`, `restart: true`);
 * - {@link FakeKafka.kill} plays a process killed outright: its consumer leaves the
 *   group at once and nothing it or its producer does reaches the "broker" again.
 *
 * One deliberate difference: a fetch round takes a batch from every partition that
 * is not paused, then delivers them one by one without looking at pauses again, so
 * a handler may get a batch for a partition it has just paused (kafkajs can do
 * that too, with batches already fetched). Keys are hashed with FNV-1a, not
 * murmur2: the same key always lands on the same partition, just not the one a
 * broker would pick.
 */
import type {
  Batch,
  ConsumerConfig,
  ConsumerRunConfig,
  ConsumerSubscribeTopic,
  ConsumerSubscribeTopics,
  EachBatchPayload,
  IHeaders,
  KafkaMessage,
  Message,
  ProducerBatch,
  ProducerConfig,
  ProducerRecord,
  RecordMetadata,
  TopicPartitionOffset,
  TopicPartitionOffsetAndMetadata,
  TopicPartitions,
} from 'kafkajs';
import type { PipelineConsumer, PipelineKafka, PipelineProducer } from '../kafka-client.js';

/** A message as stored in a fake topic. */
export interface FakeRecord {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer>;
  timestamp: string;
}

/** A message to append to a topic: strings or buffers; `partition` or the key's hash picks the partition. */
export interface FakeInput {
  key?: string | Buffer | null;
  value: string | Buffer | null;
  partition?: number;
  headers?: Record<string, string | Buffer>;
}

/** What happened inside the fake, in order, for assertions. */
export type FakeKafkaEvent =
  | { type: 'deliver'; groupId: string; memberId: string; topic: string; partition: number; offsets: string[] }
  | { type: 'pause' | 'resume'; groupId: string; memberId: string; topic: string; partitions?: number[] }
  | { type: 'seek'; groupId: string; memberId: string; topic: string; partition: number; offset: string }
  | { type: 'commit'; groupId: string; memberId: string; topic: string; partition: number; offset: string }
  | { type: 'commit-failed'; groupId: string; memberId: string; reason: string }
  | { type: 'join'; groupId: string; memberId: string; generation: number; assignment: Record<string, number[]> }
  | { type: 'crash'; groupId: string; memberId: string; error: Error }
  | { type: 'send'; records: FakeRecord[] }
  | { type: 'send-failed'; topics: string[]; error: Error }
  | { type: 'kill'; client: 'consumer' | 'producer'; memberId?: string };

export interface FakeKafkaOptions {
  /** Topics to create up front, with their partition counts. Other topics are created on first use. */
  topics?: Record<string, number>;
  /** Partitions of a topic created on first use. @default 1 */
  defaultPartitions?: number;
  /** The most messages in one delivered batch. @default 16 */
  maxBatchSize?: number;
  /** How long a producer send takes. @default 0 (a macrotask) */
  sendDelayMs?: number;
}

/** The error the fake throws for injected and protocol failures. */
export class FakeKafkaError extends Error {
  override readonly name = 'KafkaJSProtocolError';
  constructor(
    message: string,
    readonly type: string,
    readonly retriable = true,
  ) {
    super(message);
  }
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const toBuffer = (v: string | Buffer | null | undefined): Buffer | null => (v == null ? null : Buffer.isBuffer(v) ? v : Buffer.from(v));

interface Group {
  id: string;
  generation: number;
  members: FakeConsumer[];
  /** Members that rejoined the current generation. */
  joined: Set<FakeConsumer>;
  assignment: Map<FakeConsumer, Map<string, number[]>>;
  committed: Map<string, Map<number, bigint>>;
}

/**
 * A broker, its topics and its consumer groups, in memory.
 *
 * @example
 * import { FakeKafka } from '@mlpredict/kafka/testing';
 * const kafka = new FakeKafka({ topics: { reviews: 3, results: 3 } });
 * kafka.append('reviews', [{ key: 'a', value: 'Great phone' }, { key: 'b', value: 'Broke in a week' }]);
 * const pipeline = createKafkaPredictPipeline({ kafka, groupId: 'g', inputTopic: 'reviews', outputTopic: 'results', model, fromBeginning: true });
 * await pipeline.start();
 * await kafka.waitFor(() => kafka.caughtUp('g', 'reviews')); // every result out and committed
 * await pipeline.stop();
 * kafka.messages('results'); // → two results, keyed 'a' and 'b'
 */
export class FakeKafka implements PipelineKafka {
  readonly #topics = new Map<string, FakeRecord[][]>();
  readonly #groups = new Map<string, Group>();
  readonly #listeners = new Set<(event: FakeKafkaEvent) => void>();
  readonly #waiters = new Set<() => void>();
  readonly #defaultPartitions: number;
  readonly #sendFailures: Error[] = [];
  readonly #commitFailures: Error[] = [];
  #roundRobin = 0;
  #nextMember = 0;
  /** Every event so far, oldest first. */
  readonly log: FakeKafkaEvent[] = [];
  readonly maxBatchSize: number;
  readonly sendDelayMs: number;
  /** Consumers and producers connected and not yet disconnected. */
  openClients = 0;

  constructor(options: FakeKafkaOptions = {}) {
    this.#defaultPartitions = options.defaultPartitions ?? 1;
    this.maxBatchSize = options.maxBatchSize ?? 16;
    this.sendDelayMs = options.sendDelayMs ?? 0;
    for (const [topic, partitions] of Object.entries(options.topics ?? {})) this.createTopic(topic, partitions);
  }

  consumer(config: ConsumerConfig): FakeConsumer {
    return new FakeConsumer(this, config.groupId, `member-${++this.#nextMember}`);
  }

  producer(_config?: ProducerConfig): FakeProducer {
    return new FakeProducer(this);
  }

  createTopic(topic: string, partitions: number): void {
    if (this.#topics.has(topic)) throw new Error(`topic ${topic} exists`);
    this.#topics.set(topic, Array.from({ length: partitions }, () => []));
  }

  partitionCount(topic: string): number {
    return this.#partitions(topic).length;
  }

  /** Appends messages as a producer would; returns where each landed. */
  append(topic: string, inputs: FakeInput[]): FakeRecord[] {
    const partitions = this.#partitions(topic);
    const records = inputs.map((input) => {
      const key = toBuffer(input.key);
      const partition = input.partition ?? (key ? fnv1a(key) % partitions.length : this.#roundRobin++ % partitions.length);
      const log = partitions[partition];
      if (!log) throw new RangeError(`topic ${topic} has no partition ${partition}`);
      const record: FakeRecord = {
        topic,
        partition,
        offset: String(log.length),
        key,
        value: toBuffer(input.value),
        headers: Object.fromEntries(Object.entries(input.headers ?? {}).map(([k, v]) => [k, toBuffer(v)!])),
        timestamp: String(Date.now()),
      };
      log.push(record);
      return record;
    });
    this.notify();
    return records;
  }

  /** Every message of a topic, partition by partition, in offset order. */
  messages(topic: string): FakeRecord[] {
    return this.#partitions(topic).flat();
  }

  /** The next offset of each partition (its length). */
  endOffsets(topic: string): Record<number, string> {
    return Object.fromEntries(this.#partitions(topic).map((log, p) => [p, String(log.length)]));
  }

  /** The group's committed offsets for a topic; partitions never committed are left out. */
  committed(groupId: string, topic: string): Record<number, string> {
    const offsets = this.#groups.get(groupId)?.committed.get(topic) ?? new Map();
    return Object.fromEntries([...offsets].map(([p, o]) => [p, String(o)]));
  }

  /** True when the group has committed every non-empty partition of the topic to its end. */
  caughtUp(groupId: string, topic: string): boolean {
    return this.#partitions(topic).every((log, p) => log.length === 0 || this.committedOffset(groupId, topic, p) === BigInt(log.length));
  }

  /** The next `count` producer sends throw (nothing of them is written). */
  failSends(count: number, error = new FakeKafkaError('injected produce failure', 'REQUEST_TIMED_OUT')): void {
    for (let i = 0; i < count; i++) this.#sendFailures.push(error);
  }

  /** The next `count` offset commits throw. */
  failCommits(count: number, error = new FakeKafkaError('injected commit failure', 'COORDINATOR_NOT_AVAILABLE')): void {
    for (let i = 0; i < count; i++) this.#commitFailures.push(error);
  }

  /**
   * Simulates the death of the process that holds these clients (`kill -9`): a
   * consumer leaves its group at once, without a commit or a last batch, so its
   * partitions go to the other members from their committed offsets; from then
   * on the consumer's commits and the producer's sends fail, as nothing of a dead
   * process reaches the broker. `disconnect()` still releases them.
   */
  kill(...clients: (FakeConsumer | FakeProducer)[]): void {
    for (const client of clients) client.kill();
  }

  /** Starts a rebalance of the group: every member rejoins and partitions restart from their commits. */
  rebalance(groupId: string): void {
    const group = this.#groups.get(groupId);
    if (group) this.#bump(group);
  }

  /** The group's current assignment of a topic: memberId → partitions. */
  assignment(groupId: string, topic: string): Record<string, number[]> {
    const group = this.#groups.get(groupId);
    if (!group) return {};
    return Object.fromEntries([...group.assignment].map(([member, topics]) => [member.memberId, topics.get(topic) ?? []]));
  }

  /**
   * Where the group's next fetch of a partition starts: the owning member's
   * position (moved by `resolveOffset`), else the committed offset, else 0.
   */
  fetchPosition(groupId: string, topic: string, partition: number): bigint {
    const group = this.#groups.get(groupId);
    for (const [member, topics] of group?.assignment ?? []) {
      const position = topics.get(topic)?.includes(partition) ? member.position(topic, partition) : undefined;
      if (position !== undefined) return position;
    }
    return this.committedOffset(groupId, topic, partition) ?? 0n;
  }

  /** Calls `listener` with every event from now on; returns the unsubscribe. */
  onEvent(listener: (event: FakeKafkaEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Resolves once `condition()` holds, checking after every change (and every 10 ms); rejects after `timeoutMs`. */
  async waitFor(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`FakeKafka.waitFor: condition not met within ${timeoutMs} ms`);
      await this.waitForChange(10);
    }
  }

  // ── internals shared with FakeConsumer / FakeProducer ─────────────────────

  /** @internal */
  emit(event: FakeKafkaEvent): void {
    this.log.push(event);
    for (const listener of this.#listeners) listener(event);
  }

  /** @internal Wakes whoever waits for data, a resume, a seek or a rebalance. */
  notify(): void {
    for (const wake of this.#waiters) wake();
    this.#waiters.clear();
  }

  /** @internal */
  waitForChange(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#waiters.add(done);
    });
  }

  /** @internal */
  partitionLog(topic: string, partition: number): FakeRecord[] {
    const log = this.#partitions(topic)[partition];
    if (!log) throw new RangeError(`topic ${topic} has no partition ${partition}`);
    return log;
  }

  /** @internal */
  takeSendFailure(): Error | undefined {
    return this.#sendFailures.shift();
  }

  /** @internal */
  group(groupId: string): Group {
    let group = this.#groups.get(groupId);
    if (!group) {
      group = { id: groupId, generation: 0, members: [], joined: new Set(), assignment: new Map(), committed: new Map() };
      this.#groups.set(groupId, group);
    }
    return group;
  }

  /** @internal */
  addMember(member: FakeConsumer): void {
    const group = this.group(member.groupId);
    group.members.push(member);
    this.#bump(group);
  }

  /** @internal */
  removeMember(member: FakeConsumer): void {
    const group = this.group(member.groupId);
    group.members = group.members.filter((m) => m !== member);
    group.assignment.delete(member);
    this.#bump(group);
  }

  /** @internal Marks the member rejoined; resolves with its assignment once every member has. */
  async rejoin(member: FakeConsumer): Promise<{ generation: number; assignment: Map<string, number[]> }> {
    const group = this.group(member.groupId);
    for (;;) {
      group.joined.add(member);
      if (group.members.every((m) => group.joined.has(m))) {
        if (!group.assignment.has(member)) this.#assign(group);
        return { generation: group.generation, assignment: group.assignment.get(member)! };
      }
      await this.waitForChange(5);
      if (!member.isRunning) return { generation: group.generation, assignment: new Map() };
    }
  }

  /** @internal */
  commit(member: FakeConsumer, offsets: TopicPartitionOffsetAndMetadata[]): void {
    const group = this.group(member.groupId);
    const injected = this.#commitFailures.shift();
    const reason = injected?.message ?? (member.generation !== group.generation || !group.joined.has(member) ? 'REBALANCE_IN_PROGRESS' : undefined);
    if (reason) {
      this.emit({ type: 'commit-failed', groupId: group.id, memberId: member.memberId, reason });
      throw injected ?? new FakeKafkaError('The group is rebalancing, so a rejoin is needed', 'REBALANCE_IN_PROGRESS');
    }
    for (const { topic, partition, offset } of offsets) {
      let topicOffsets = group.committed.get(topic);
      if (!topicOffsets) group.committed.set(topic, (topicOffsets = new Map()));
      topicOffsets.set(partition, BigInt(offset));
      this.emit({ type: 'commit', groupId: group.id, memberId: member.memberId, topic, partition, offset: String(offset) });
    }
  }

  /** @internal */
  committedOffset(groupId: string, topic: string, partition: number): bigint | undefined {
    return this.#groups.get(groupId)?.committed.get(topic)?.get(partition);
  }

  #partitions(topic: string): FakeRecord[][] {
    let partitions = this.#topics.get(topic);
    if (!partitions) this.#topics.set(topic, (partitions = Array.from({ length: this.#defaultPartitions }, () => [])));
    return partitions;
  }

  #bump(group: Group): void {
    group.generation++;
    group.joined.clear();
    group.assignment.clear();
    for (const member of group.members) member.needsRejoin = true;
    this.notify();
  }

  /** Round-robin over members in join order, per subscribed topic. */
  #assign(group: Group): void {
    group.assignment.clear();
    for (const member of group.members) group.assignment.set(member, new Map());
    const topics = new Set(group.members.flatMap((m) => m.subscriptions));
    for (const topic of topics) {
      const subscribers = group.members.filter((m) => m.subscriptions.includes(topic));
      for (let p = 0; p < this.partitionCount(topic); p++) {
        const member = subscribers[p % subscribers.length]!;
        const topicsOf = group.assignment.get(member)!;
        topicsOf.set(topic, [...(topicsOf.get(topic) ?? []), p]);
      }
    }
  }
}

type Listener = (event: { id: number; type: string; timestamp: number; payload: any }) => void;

/** A consumer group member; the subset of kafkajs's `Consumer` the pipeline uses, plus `stop`. */
export class FakeConsumer implements PipelineConsumer {
  readonly #kafka: FakeKafka;
  readonly #listeners = new Map<string, Set<Listener>>();
  readonly #positions = new Map<string, bigint>();
  readonly #seeks = new Map<string, bigint>();
  #paused = new Map<string, { all: boolean; partitions: Set<number>; resumed: Set<number> }>();
  #assignment = new Map<string, number[]>();
  #config: ConsumerRunConfig = {};
  #running = false;
  #connected = false;
  #loop: Promise<void> | undefined;
  #eventId = 0;
  readonly subscriptions: string[] = [];
  #dead = false;
  #fromBeginning = false;
  /** @internal */
  needsRejoin = false;
  /** @internal */
  generation = -1;

  constructor(
    kafka: FakeKafka,
    readonly groupId: string,
    readonly memberId: string,
  ) {
    this.#kafka = kafka;
  }

  /** The next offset this member fetches from a partition, once it has fetched it. */
  position(topic: string, partition: number): bigint | undefined {
    return this.#seeks.get(key(topic, partition)) ?? this.#positions.get(key(topic, partition));
  }

  get isRunning(): boolean {
    return this.#running;
  }

  /** See {@link FakeKafka.kill}. */
  kill(): void {
    if (this.#dead) return;
    this.#dead = true;
    this.#kafka.emit({ type: 'kill', client: 'consumer', memberId: this.memberId });
    if (!this.#running) return;
    this.#running = false;
    this.#kafka.removeMember(this);
  }

  async connect(): Promise<void> {
    if (!this.#connected) this.#kafka.openClients++;
    this.#connected = true;
  }

  async disconnect(): Promise<void> {
    await this.stop();
    if (this.#connected) this.#kafka.openClients--;
    this.#connected = false;
  }

  async subscribe(subscription: ConsumerSubscribeTopics | ConsumerSubscribeTopic): Promise<void> {
    const topics = 'topics' in subscription ? subscription.topics : [subscription.topic];
    for (const topic of topics) {
      if (typeof topic !== 'string') throw new Error('FakeConsumer: RegExp subscriptions are not supported');
      if (!this.subscriptions.includes(topic)) this.subscriptions.push(topic);
    }
    this.#fromBeginning = subscription.fromBeginning ?? false;
  }

  async run(config: ConsumerRunConfig = {}): Promise<void> {
    if (this.#running) throw new Error('FakeConsumer: already running');
    if (!config.eachBatch && !config.eachMessage) throw new Error('FakeConsumer: run() needs eachBatch or eachMessage');
    this.#config = { autoCommit: true, eachBatchAutoResolve: true, ...config };
    this.#running = true;
    this.#kafka.addMember(this);
    this.#loop = this.#consume();
  }

  /** Finishes the batch being handled, then leaves the group. */
  async stop(): Promise<void> {
    if (!this.#running) {
      // Killed (or never run): the fetch loop ends on its own; wait for it so nothing is left behind.
      await this.#loop;
      return;
    }
    this.#running = false;
    this.#kafka.notify();
    await this.#loop;
    this.#kafka.removeMember(this);
    this.#emit('consumer.stop', null);
  }

  async commitOffsets(offsets: TopicPartitionOffsetAndMetadata[]): Promise<void> {
    if (this.#dead) throw new FakeKafkaError('The consumer was killed', 'KafkaJSConnectionError', false);
    // kafkajs ignores commits once the consumer has stopped.
    if (!this.#running) return;
    this.#kafka.commit(this, offsets);
  }

  seek({ topic, partition, offset }: TopicPartitionOffset): void {
    this.#seeks.set(key(topic, partition), BigInt(offset));
    this.#kafka.emit({ type: 'seek', groupId: this.groupId, memberId: this.memberId, topic, partition, offset: String(offset) });
    this.#kafka.notify();
  }

  // Pauses follow kafkajs's SubscriptionState: pausing partitions ends a topic-wide
  // pause, and resuming a partition of a paused topic resumes just that one.
  pause(topics: Array<{ topic: string; partitions?: number[] }>): void {
    for (const { topic, partitions } of topics) {
      const state = this.#pauseState(topic);
      state.resumed.clear();
      if (partitions === undefined) {
        state.all = true;
        state.partitions.clear();
      } else {
        for (const p of partitions) state.partitions.add(p);
        state.all = false;
      }
      this.#kafka.emit({ type: 'pause', groupId: this.groupId, memberId: this.memberId, topic, partitions });
    }
  }

  resume(topics: Array<{ topic: string; partitions?: number[] }>): void {
    for (const { topic, partitions } of topics) {
      const state = this.#pauseState(topic);
      if (partitions === undefined) {
        state.all = false;
        state.partitions.clear();
        state.resumed.clear();
      } else {
        for (const p of partitions) {
          state.partitions.delete(p);
          if (state.all) state.resumed.add(p);
        }
      }
      this.#kafka.emit({ type: 'resume', groupId: this.groupId, memberId: this.memberId, topic, partitions });
    }
    this.#kafka.notify();
  }

  paused(): TopicPartitions[] {
    const result: TopicPartitions[] = [];
    for (const [topic, partitions] of this.#assignment) {
      const paused = partitions.filter((p) => this.#isPaused(topic, p));
      if (paused.length) result.push({ topic, partitions: paused });
    }
    return result;
  }

  on(eventName: string, listener: Listener): () => void {
    let set = this.#listeners.get(eventName);
    if (!set) this.#listeners.set(eventName, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  // ── the fetch loop ────────────────────────────────────────────────────────

  async #consume(): Promise<void> {
    while (this.#running) {
      if (this.needsRejoin) await this.#rejoin();
      if (!this.#running) break;
      const batches = this.#fetchRound();
      if (batches.length === 0) {
        await this.#kafka.waitForChange(20);
        continue;
      }
      for (const batch of batches) {
        if (!this.#running || this.needsRejoin) break;
        try {
          await this.#deliver(batch);
        } catch (error) {
          await this.#crash(error as Error);
          break;
        }
        await tick();
      }
    }
  }

  async #rejoin(): Promise<void> {
    this.needsRejoin = false;
    this.#emit('consumer.rebalancing', { groupId: this.groupId, memberId: this.memberId });
    const { generation, assignment } = await this.#kafka.rejoin(this);
    if (!this.#running) return;
    this.generation = generation;
    this.#assignment = assignment;
    // A new generation fetches from the committed offsets, like kafkajs's new OffsetManager.
    this.#positions.clear();
    this.#seeks.clear();
    const memberAssignment = Object.fromEntries(assignment);
    this.#kafka.emit({ type: 'join', groupId: this.groupId, memberId: this.memberId, generation, assignment: memberAssignment });
    this.#emit('consumer.group_join', { groupId: this.groupId, memberId: this.memberId, memberAssignment, isLeader: false, leaderId: '', groupProtocol: 'RoundRobinAssigner', duration: 0 });
  }

  async #crash(error: Error): Promise<void> {
    this.#kafka.emit({ type: 'crash', groupId: this.groupId, memberId: this.memberId, error });
    this.#emit('consumer.crash', { error, groupId: this.groupId, restart: true });
    // kafkajs restarts with a new consumer group object: pauses and positions are gone.
    this.#paused = new Map();
    this.#positions.clear();
    this.#seeks.clear();
    await sleep(5);
    this.#kafka.rebalance(this.groupId);
  }

  #fetchRound(): Batch[] {
    const batches: Batch[] = [];
    for (const [topic, partitions] of this.#assignment) {
      for (const partition of partitions) {
        const k = key(topic, partition);
        const sought = this.#seeks.get(k);
        if (sought !== undefined) {
          this.#positions.set(k, sought);
          this.#seeks.delete(k);
        }
        if (this.#isPaused(topic, partition)) continue;
        const log = this.#kafka.partitionLog(topic, partition);
        const from = this.#position(topic, partition, log);
        const messages = log.slice(Number(from), Number(from) + this.#kafka.maxBatchSize).map(toKafkaMessage);
        if (messages.length) batches.push(makeBatch(topic, partition, log.length, messages));
      }
    }
    return batches;
  }

  #position(topic: string, partition: number, log: FakeRecord[]): bigint {
    const k = key(topic, partition);
    let position = this.#positions.get(k);
    if (position === undefined) {
      position = this.#kafka.committedOffset(this.groupId, topic, partition) ?? (this.#fromBeginning ? 0n : BigInt(log.length));
      this.#positions.set(k, position);
    }
    return position;
  }

  async #deliver(batch: Batch): Promise<void> {
    const { topic, partition } = batch;
    const k = key(topic, partition);
    const generation = this.generation;
    // Resolving moves the fetch position, for this generation only.
    const resolve = (offset: string) => {
      if (this.generation === generation && !this.#seeks.has(k)) this.#positions.set(k, BigInt(offset) + 1n);
    };
    this.#kafka.emit({ type: 'deliver', groupId: this.groupId, memberId: this.memberId, topic, partition, offsets: batch.messages.map((m) => m.offset) });
    const pause = () => {
      this.pause([{ topic, partitions: [partition] }]);
      return () => this.resume([{ topic, partitions: [partition] }]);
    };
    if (this.#config.eachBatch) {
      const payload: EachBatchPayload = {
        batch,
        resolveOffset: resolve,
        heartbeat: async () => {},
        pause,
        commitOffsetsIfNecessary: async (offsets) => {
          if (offsets) await this.commitOffsets(offsets.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.topic, ...p }))));
          else if (this.#config.autoCommit) await this.#autoCommit();
        },
        uncommittedOffsets: () => ({ topics: [] }),
        isRunning: () => this.#running,
        isStale: () => this.#seeks.has(k) || this.generation !== generation,
      };
      await this.#config.eachBatch(payload);
      if (this.#config.eachBatchAutoResolve) resolve(batch.lastOffset());
    } else {
      for (const message of batch.messages) {
        if (!this.#running || this.#isPaused(topic, partition) || this.#seeks.has(k)) break;
        await this.#config.eachMessage!({ topic, partition, message, heartbeat: async () => {}, pause });
        resolve(message.offset);
      }
    }
    if (this.#config.autoCommit) await this.#autoCommit();
  }

  async #autoCommit(): Promise<void> {
    const offsets = [...this.#assignment].flatMap(([topic, partitions]) =>
      partitions.flatMap((partition) => {
        const position = this.#positions.get(key(topic, partition));
        return position === undefined ? [] : [{ topic, partition, offset: String(position) }];
      }),
    );
    if (offsets.length) await this.commitOffsets(offsets);
  }

  #pauseState(topic: string) {
    let state = this.#paused.get(topic);
    if (!state) this.#paused.set(topic, (state = { all: false, partitions: new Set(), resumed: new Set() }));
    return state;
  }

  #isPaused(topic: string, partition: number): boolean {
    const state = this.#paused.get(topic);
    return !!state && ((state.all && !state.resumed.has(partition)) || state.partitions.has(partition));
  }

  #emit(type: string, payload: unknown): void {
    const event = { id: ++this.#eventId, type, timestamp: Date.now(), payload };
    for (const listener of this.#listeners.get(type) ?? []) listener(event);
  }
}

/** A producer; `send` and `sendBatch` append to the fake's topics, or throw when told to. */
export class FakeProducer implements PipelineProducer {
  readonly #kafka: FakeKafka;
  #connected = false;
  #dead = false;

  constructor(kafka: FakeKafka) {
    this.#kafka = kafka;
  }

  async connect(): Promise<void> {
    if (!this.#connected) this.#kafka.openClients++;
    this.#connected = true;
  }

  async disconnect(): Promise<void> {
    if (this.#connected) this.#kafka.openClients--;
    this.#connected = false;
  }

  send(record: ProducerRecord): Promise<RecordMetadata[]> {
    return this.sendBatch({ topicMessages: [{ topic: record.topic, messages: record.messages }] });
  }

  /** See {@link FakeKafka.kill}. */
  kill(): void {
    if (this.#dead) return;
    this.#dead = true;
    this.#kafka.emit({ type: 'kill', client: 'producer' });
  }

  async sendBatch(batch: ProducerBatch): Promise<RecordMetadata[]> {
    if (this.#dead) throw new FakeKafkaError('The producer was killed', 'KafkaJSConnectionError', false);
    if (!this.#connected) throw new FakeKafkaError('The producer is disconnected', 'KafkaJSError', false);
    const topicMessages = batch.topicMessages ?? [];
    if (this.#kafka.sendDelayMs > 0) await sleep(this.#kafka.sendDelayMs);
    else await tick();
    const failure = this.#kafka.takeSendFailure();
    if (failure) {
      this.#kafka.emit({ type: 'send-failed', topics: topicMessages.map((t) => t.topic), error: failure });
      throw failure;
    }
    const written = topicMessages.flatMap(({ topic, messages }) =>
      this.#kafka.append(
        topic,
        messages.map((m: Message) => ({ key: m.key ?? null, value: m.value, partition: m.partition, headers: flattenHeaders(m.headers) })),
      ),
    );
    this.#kafka.emit({ type: 'send', records: written });
    return written.map((r) => ({ topicName: r.topic, partition: r.partition, errorCode: 0, baseOffset: r.offset }));
  }
}

/** A header's value as a string (fake records keep headers as Buffers). */
export function headerText(record: Pick<FakeRecord, 'headers'>, name: string): string | undefined {
  return record.headers[name]?.toString('utf8');
}

function key(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

function fnv1a(bytes: Buffer): number {
  let hash = 0x811c9dc5;
  for (const byte of bytes) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  return hash;
}

function flattenHeaders(headers: IHeaders | undefined): Record<string, string | Buffer> {
  const flat: Record<string, string | Buffer> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    flat[name] = Array.isArray(value) ? value[value.length - 1]! : value;
  }
  return flat;
}

function toKafkaMessage(record: FakeRecord): KafkaMessage {
  return { key: record.key, value: record.value, timestamp: record.timestamp, attributes: 0, offset: record.offset, headers: { ...record.headers } };
}

function makeBatch(topic: string, partition: number, end: number, messages: KafkaMessage[]): Batch {
  const first = messages[0]!.offset;
  const last = messages[messages.length - 1]!.offset;
  return {
    topic,
    partition,
    highWatermark: String(end),
    messages,
    isEmpty: () => messages.length === 0,
    firstOffset: () => first,
    lastOffset: () => last,
    offsetLag: () => String(end - 1 - Number(last)),
    offsetLagLow: () => String(end - 1 - Number(first)),
  };
}
