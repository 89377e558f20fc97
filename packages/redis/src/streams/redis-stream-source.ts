/**
 * A Redis Streams consumer-group source on core's source contract: messages
 * are entries of one stream read through one group, acked (`XACK`) only when the
 * runner says their result is written. Reads happen only when the runner asks
 * and the buffer is empty, so a saturated runner holds back reading; entries a
 * dead consumer left pending are taken over after `claimIdleMs`.
 */
import type { Source, SourceMessage } from '@mlpredict/core';
import { abortReason, abortableSleep } from '@mlpredict/core/internals';
import { connectRedis, openRedisConnection, redactUrl, type RedisConnection } from '../connect-redis.js';
import { checkName, checkPositive, checkRedisUrl } from '../check-options.js';
import { errorMessage, isRedisUnavailable } from '../redis-unavailable.js';
import { decodeEntry } from './decode-entry.js';
import { isPresent, readStreamReply, type PresentEntry, type StreamEntry } from './stream-entries.js';
import { STREAM_SCRIPTS } from './stream-scripts.js';

export interface RedisStreamSourceOptions {
  /** `redis://…` */
  url: string;
  /** The input stream (its entries hold the record as JSON in the field `record`). */
  stream: string;
  /** The consumer group; created (with the stream, from its first entry) when missing, joined when it exists. */
  group: string;
  /** This worker's name in the group; unique per live worker. A worker restarted under the same name first re-reads what it had pending. */
  consumer: string;
  /**
   * Entries per read (`XREADGROUP … COUNT`).
   * @default 20
   */
  readCount?: number;
  /**
   * How long one read waits for new entries (`BLOCK`); closing interrupts it.
   * @default 1000 (at most claimIdleMs / 2)
   */
  blockMs?: number;
  /**
   * An entry pending on another consumer for this long is taken over
   * (`XAUTOCLAIM`): its consumer is presumed dead. Entries this source holds are
   * kept fresh while it lives, so a slow prediction is not taken from it.
   * @default 60000
   */
  claimIdleMs?: number;
  /** @default 5000 */
  commandTimeoutMs?: number;
  /**
   * Told once per outage when Redis can't be reached (reading retries until it is back).
   * @default console.warn
   */
  onWarning?: (message: string) => void;
}

/**
 * A message of a Redis stream: `key` is the entry id, `fields` the entry's fields
 * as read (the dead-letter stream copies `record` from them). An entry whose
 * record can't be decoded has `invalid` set to why, and `record` holds the raw
 * `record` text (or the fields, when it has none).
 */
export interface RedisStreamMessage<T = unknown> extends SourceMessage<T> {
  readonly fields: Readonly<Record<string, string>>;
}

export interface RedisStreamSourceStats {
  /** Entries read as new (`>`) or from this consumer's own pending history. */
  read: number;
  /** Entries taken over from idle consumers. */
  claimed: number;
  acked: number;
  /** Entries whose record could not be decoded: handed out with `invalid` set (the runner writes `bad_input` for them). */
  unreadable: number;
  /**
   * Entries `XAUTOCLAIM` found deleted from the stream (XDEL, trimming) while still
   * pending, and dropped from the group. Their record is gone; they get no result.
   */
  deletedWhilePending: number;
  /** Handed out and not yet acked or nacked. */
  held: number;
  /** Read and not yet handed out. */
  buffered: number;
}

export interface RedisStreamSource<T = unknown> extends Source<T> {
  next(signal?: AbortSignal): Promise<RedisStreamMessage<T> | undefined>;
  stats(): RedisStreamSourceStats;
}

const DEFAULT_READ_COUNT = 20;
const DEFAULT_BLOCK_MS = 1_000;
const DEFAULT_CLAIM_IDLE_MS = 60_000;
const DEFAULT_COMMAND_TIMEOUT_MS = 5_000;
const RETRY_MS = 250;

/**
 * Connects (two connections: one for blocking reads, one for acks and claims),
 * creates or joins the group, and returns the source. Throws a
 * `RedisUnavailableError` when Redis can't be reached, a TypeError for a bad option.
 *
 * @example
 * const source = await redisStreamSource({ url: 'redis://127.0.0.1:6379', stream: 'reviews', group: 'sentiment', consumer: 'worker-1' });
 * const message = await source.next(signal);   // { key: '1718000000000-0', record: { text: 'Great phone' }, ack, nack, fields }
 * // … predict, write the result …
 * await message?.ack();
 * await source.close();
 */
export async function redisStreamSource<T = unknown>(options: RedisStreamSourceOptions): Promise<RedisStreamSource<T>> {
  checkSourceOptions(options);
  const source = new StreamSource<T>(options);
  await source.start();
  return source;
}

function checkSourceOptions(options: RedisStreamSourceOptions): void {
  if (options === null || typeof options !== 'object') throw new TypeError('redisStreamSource needs an options object: { url, stream, group, consumer, … }');
  checkRedisUrl('url', options.url);
  checkName('stream', options.stream, 'reviews');
  checkName('group', options.group, 'sentiment');
  checkName('consumer', options.consumer, 'worker-1');
  checkPositive('readCount', options.readCount, { integer: true });
  checkPositive('blockMs', options.blockMs, { integer: true });
  checkPositive('claimIdleMs', options.claimIdleMs, { integer: true, min: 10 });
  checkPositive('commandTimeoutMs', options.commandTimeoutMs);
}

type CommandClient = Awaited<ReturnType<typeof connectCommands>>;
type ReaderClient = Awaited<ReturnType<typeof connectReader>>;

function connectCommands(options: RedisStreamSourceOptions) {
  return connectRedis({ url: options.url, role: 'stream-source', commandTimeoutMs: options.commandTimeoutMs, client: { scripts: STREAM_SCRIPTS } });
}

function connectReader(options: RedisStreamSourceOptions) {
  return connectRedis({ url: options.url, role: 'stream-reader', commandTimeoutMs: options.commandTimeoutMs });
}

class StreamSource<T> implements RedisStreamSource<T> {
  readonly #options: RedisStreamSourceOptions;
  readonly #readCount: number;
  readonly #claimIdleMs: number;
  readonly #blockMs: number;
  readonly #commandTimeoutMs: number;
  #client?: RedisConnection<CommandClient>;
  #reader?: RedisConnection<ReaderClient>;
  readonly #buffer: RedisStreamMessage<T>[] = [];
  readonly #held = new Map<string, RedisStreamMessage<T>>();
  /** Where re-reading this consumer's own pending entries goes on; undefined once done. */
  #historyFrom: string | undefined = '0';
  #claimCursor = '0-0';
  #nextClaimAt = 0;
  #filling?: Promise<void>;
  #closed = false;
  readonly #closing = new AbortController();
  /** Resolves when the source closes (what a waiting next() races). */
  readonly #closed$ = new Promise<void>((resolve) => this.#closing.signal.addEventListener('abort', () => resolve(), { once: true }));
  #touchTimer?: ReturnType<typeof setInterval>;
  #unreachable = false;
  readonly #stats = { read: 0, claimed: 0, acked: 0, unreadable: 0, deletedWhilePending: 0 };

  constructor(options: RedisStreamSourceOptions) {
    this.#options = options;
    this.#readCount = options.readCount ?? DEFAULT_READ_COUNT;
    this.#claimIdleMs = options.claimIdleMs ?? DEFAULT_CLAIM_IDLE_MS;
    this.#blockMs = Math.max(1, Math.min(options.blockMs ?? DEFAULT_BLOCK_MS, Math.floor(this.#claimIdleMs / 2)));
    this.#commandTimeoutMs = options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
  }

  async start(): Promise<void> {
    // A connection whose reply was late is replaced (see RedisConnection): what a
    // late read or claim may still have given this consumer is pending on it, so
    // its own history is read again once the replacement is up.
    const onOpen = (_client: unknown, replaced: boolean) => void (replaced && (this.#historyFrom = '0'));
    const commandTimeoutMs = this.#commandTimeoutMs;
    this.#client = await openRedisConnection({ open: () => connectCommands(this.#options), commandTimeoutMs, onOpen });
    try {
      this.#reader = await openRedisConnection({ open: () => connectReader(this.#options), commandTimeoutMs, onOpen });
      await this.#ensureGroup();
    } catch (error) {
      this.#client.destroy();
      this.#reader?.destroy();
      throw error;
    }
    this.#touchTimer = setInterval(() => void this.#touch(), Math.max(10, this.#claimIdleMs / 3));
    this.#touchTimer.unref();
  }

  async next(signal?: AbortSignal): Promise<RedisStreamMessage<T> | undefined> {
    for (;;) {
      if (this.#closed) return undefined;
      if (signal?.aborted) throw abortReason(signal);
      const message = this.#buffer.shift();
      if (message) {
        this.#held.set(message.key, message);
        return message;
      }
      // One read at a time, shared by every caller waiting; an abort leaves it running (its entries are buffered).
      this.#filling ??= this.#fill().finally(() => (this.#filling = undefined));
      await this.#race(this.#filling, signal);
    }
  }

  stats(): RedisStreamSourceStats {
    return { ...this.#stats, held: this.#held.size, buffered: this.#buffer.length };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#touchTimer);
    this.#closing.abort();
    // A blocked read holds its connection until it returns: cut it. Entries it
    // (or the buffer) had stay pending on this consumer, for this consumer's next
    // start or another's XAUTOCLAIM: at-least-once.
    this.#reader?.destroy();
    await this.#filling?.catch(() => undefined);
    // close() waits for every reply; a Redis that stopped answering would hold it for good.
    await this.#client?.close();
  }

  /** A command's reply on `connection`, or unavailable after `ms` (node-redis does not time out a command once it is on the socket); a late reply retires the connection. */
  #reply<C extends CommandClient | ReaderClient, R>(connection: RedisConnection<C>, command: (client: C) => Promise<R>, what: string, ms = this.#commandTimeoutMs): Promise<R> {
    return connection.reply(command, `${what} on stream "${this.#options.stream}"`, ms);
  }

  /** Resolves when `work` settles or the source closes; rejects at once when `signal` aborts. */
  async #race(work: Promise<void>, signal?: AbortSignal): Promise<void> {
    const waits: Promise<void>[] = [work, this.#closed$];
    let onAbort: (() => void) | undefined;
    if (signal) {
      waits.push(new Promise<void>((_, reject) => signal.addEventListener('abort', (onAbort = () => reject(abortReason(signal))), { once: true })));
    }
    try {
      await Promise.race(waits);
    } finally {
      if (onAbort) signal!.removeEventListener('abort', onAbort);
    }
  }

  /** Fills the buffer from, in order: idle entries of other consumers, this consumer's own history, new entries. */
  async #fill(): Promise<void> {
    try {
      const claimed = this.#claimCursor !== '0-0' || Date.now() >= this.#nextClaimAt ? await this.#claim() : 0;
      this.#unreachable = false;
      if (claimed > 0) return;
      if (this.#historyFrom !== undefined) {
        // After a replacement: the late command connection must be gone from Redis (its claims ran or never will) before the history is read.
        if (this.#historyFrom === '0') await this.#client!.client();
        const entries = await this.#read(this.#historyFrom, undefined);
        this.#historyFrom = entries.length > 0 ? entries[entries.length - 1]!.id : undefined;
        const deleted = entries.filter((entry) => !isPresent(entry)).map((entry) => entry.id);
        if (deleted.length > 0) await this.#dropDeleted(deleted);
        if (this.#add(entries.filter(isPresent), 'read') > 0) return;
      }
      // New entries are never deleted ones (a deleted entry can't be delivered as new).
      this.#add((await this.#read('>', this.#blockMs)).filter(isPresent), 'read');
    } catch (error) {
      if (this.#closed) return;
      if (errorMessage(error).startsWith('NOGROUP')) return await this.#ensureGroup(); // the stream was deleted, or Redis restarted empty
      if (!isRedisUnavailable(error)) throw error;
      if (!this.#unreachable) {
        this.#unreachable = true;
        (this.#options.onWarning ?? console.warn)(
          `@mlpredict/redis: stream source "${this.#options.stream}" can't reach Redis at ${redactUrl(this.#options.url)} (${errorMessage(error)}); retrying until it is back.`,
        );
      }
      await abortableSleep(RETRY_MS, this.#closing.signal).catch(() => undefined);
    }
  }

  async #read(from: string, blockMs: number | undefined): Promise<StreamEntry[]> {
    const { group, consumer, stream } = this.#options;
    const args = ['XREADGROUP', 'GROUP', group, consumer, 'COUNT', String(this.#readCount)];
    if (blockMs !== undefined) args.push('BLOCK', String(blockMs));
    args.push('STREAMS', stream, from);
    // A blocking read must not time out before its BLOCK does.
    const wait = (blockMs ?? 0) + this.#commandTimeoutMs;
    const reply = await this.#reply(this.#reader!, (reader) => reader.sendCommand(args, { timeout: wait }), 'XREADGROUP', wait);
    return readStreamReply(reply, stream);
  }

  /** Takes over entries idle on any consumer for claimIdleMs; returns how many it buffered. */
  async #claim(): Promise<number> {
    const { stream, group, consumer } = this.#options;
    const reply = await this.#reply(this.#client!, (client) => client.xAutoClaim(stream, group, consumer, this.#claimIdleMs, this.#claimCursor, { COUNT: this.#readCount }), 'XAUTOCLAIM');
    this.#claimCursor = String(reply.nextId);
    if (this.#claimCursor === '0-0') this.#nextClaimAt = Date.now() + Math.min(10_000, Math.max(50, this.#claimIdleMs / 4));
    const entries: PresentEntry[] = [];
    for (const message of reply.messages) {
      if (message) entries.push({ id: String(message.id), fields: { ...(message.message as Record<string, string>) } });
    }
    // Deleted from the stream while pending: XAUTOCLAIM drops them from the group
    // whatever their idle time, even from a live consumer that is predicting them
    // now, so a result written here could contradict that one. Their record is
    // gone: counted, not handed out.
    this.#stats.deletedWhilePending += reply.deletedMessages.length;
    return this.#add(entries, 'claimed');
  }

  /** Buffers entries as messages, skipping any this source already has (held or buffered). */
  #add(entries: PresentEntry[], how: 'read' | 'claimed'): number {
    let added = 0;
    for (const entry of entries) {
      if (this.#held.has(entry.id) || this.#buffer.some((m) => m.key === entry.id)) continue;
      const { record, invalid } = decodeEntry(entry);
      if (invalid !== undefined) this.#stats.unreadable++;
      const id = entry.id;
      this.#buffer.push({
        key: id,
        // An invalid entry's record is what was read (not a T); `invalid` tells the runner not to predict it.
        record: record as T,
        ...(invalid === undefined ? {} : { invalid }),
        fields: Object.freeze({ ...entry.fields }),
        ack: () => this.#ack(id),
        nack: () => void this.#held.delete(id),
      });
      this.#stats[how]++;
      added++;
    }
    return added;
  }

  /** This consumer's pending entries deleted from the stream: out of the group, as XAUTOCLAIM does for others'. */
  async #dropDeleted(ids: string[]): Promise<void> {
    await this.#reply(this.#client!, (client) => client.xAck(this.#options.stream, this.#options.group, ids), 'XACK');
    this.#stats.deletedWhilePending += ids.length;
  }

  async #ack(id: string): Promise<void> {
    // Held until the XACK is answered: a history re-read meanwhile (after a connection was replaced) must not hand it out again.
    try {
      await this.#reply(this.#client!, (client) => client.xAck(this.#options.stream, this.#options.group, id), 'XACK');
    } finally {
      this.#held.delete(id);
    }
    this.#stats.acked++;
  }

  /** Keeps what this source holds from looking idle; drops what is no longer pending on it. */
  async #touch(): Promise<void> {
    const ids = [...this.#held.keys(), ...this.#buffer.map((m) => m.key)];
    if (ids.length === 0 || this.#closed) return;
    try {
      const lost = new Set(await this.#reply(this.#client!, (client) => client.touch(this.#options.stream, this.#options.group, this.#options.consumer, ids), 'touch'));
      for (const id of lost) this.#held.delete(id);
      for (let i = this.#buffer.length - 1; i >= 0; i--) if (lost.has(this.#buffer[i]!.key)) this.#buffer.splice(i, 1);
    } catch (error) {
      if (!isRedisUnavailable(error) && !this.#closed) {
        (this.#options.onWarning ?? console.warn)(`@mlpredict/redis: stream source "${this.#options.stream}": keeping entries fresh failed: ${errorMessage(error)}`);
      }
    }
  }

  async #ensureGroup(): Promise<void> {
    const { stream, group } = this.#options;
    try {
      await this.#reply(this.#client!, (client) => client.xGroupCreate(stream, group, '0', { MKSTREAM: true }), 'XGROUP CREATE');
    } catch (error) {
      if (!errorMessage(error).startsWith('BUSYGROUP')) throw error; // exists: join it
    }
  }
}
