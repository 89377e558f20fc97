/**
 * One way to open a connection for every part of this package: fail fast when
 * Redis is not there at start (a clear error naming the URL), then, once
 * connected, reconnect in the background forever and reject commands at once
 * while disconnected (no offline queue), so callers can fall back instead of
 * hanging.
 */
import { createClient, type RedisClientOptions } from '@redis/client';
import { errorMessage, isRedisUnavailable, RedisUnavailableError, replyWithin } from './redis-unavailable.js';

export interface ConnectRedisOptions {
  /** `redis://[[user]:password@]host[:port][/db]` or `rediss://…`. */
  url: string;
  /** What this connection is for, in errors and `CLIENT LIST` (e.g. `quota`, `stream-reader`). */
  role: string;
  /**
   * A command still waiting to be written after this long fails (and counts as
   * Redis unavailable). node-redis does not time out a command once it is on the
   * socket: bound the wait for its reply with `replyWithin`.
   */
  commandTimeoutMs?: number;
  /** Called with background connection errors (each reconnect attempt that fails). */
  onError?: (error: Error) => void;
  /** Extra client options (e.g. `scripts`). */
  client?: Pick<RedisClientOptions, 'scripts'>;
}

/** The longest wait between two reconnect attempts. */
const MAX_RECONNECT_DELAY_MS = 2_000;
const DEFAULT_COMMAND_TIMEOUT_MS = 5_000;
const CONNECT_TIMEOUT_MS = 3_000;

/**
 * Opens a connection or throws `RedisUnavailableError` at once.
 *
 * @example
 * const client = await connectRedis({ url: 'redis://127.0.0.1:6379', role: 'sink' });
 */
export async function connectRedis<S extends NonNullable<RedisClientOptions['scripts']> = {}>(
  options: ConnectRedisOptions & { client?: { scripts?: S } },
) {
  let connected = false;
  const client = createClient({
    url: options.url,
    name: `mlpredict-${options.role}`,
    RESP: 3,
    disableOfflineQueue: true,
    commandOptions: { timeout: options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS },
    socket: {
      connectTimeout: CONNECT_TIMEOUT_MS,
      // Before the first connection: give up at once (connect() rejects with the
      // cause; `false`, not the cause, because an Error from another realm, as
      // under jest, isn't recognised). After: keep trying with a capped backoff;
      // commands fail fast meanwhile.
      reconnectStrategy: (retries: number) => (connected ? Math.min(50 * 2 ** Math.min(retries, 6), MAX_RECONNECT_DELAY_MS) : false),
    },
    scripts: options.client?.scripts as S,
  });
  // Without a listener an 'error' event would crash the process; reconnect errors are expected.
  client.on('error', (error: Error) => options.onError?.(error));
  try {
    // The connection's handshake is a command too: a Redis that accepts the socket and never answers must not hold the start.
    await replyWithin(client.connect(), CONNECT_TIMEOUT_MS + (options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS), 'the connection handshake');
  } catch (error) {
    client.destroy();
    throw new RedisUnavailableError(
      `@mlpredict/redis: cannot reach Redis at ${redactUrl(options.url)} (${options.role}): ${errorMessage(error)}. Is redis-server running, and is the url right?`,
      { cause: error },
    );
  }
  connected = true;
  return client;
}

/**
 * The URL without its password, for messages.
 *
 * @example
 * redactUrl('redis://:secret@db:6379') // → 'redis://:***@db:6379'
 */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable url)';
  }
}

/** What a `RedisConnection` needs of the client it holds. */
export interface ReplaceableClient {
  destroy(): void;
  close(): Promise<unknown>;
  sendCommand(args: string[]): Promise<unknown>;
}

export interface RedisConnectionOptions<C extends ReplaceableClient> {
  /** Opens one client (e.g. `connectRedis`); throws `RedisUnavailableError` when Redis can't be reached. */
  open: () => Promise<C>;
  /** How long a reply may take, unless a command says otherwise. */
  commandTimeoutMs: number;
  /** Called with each client once it is ready to use; `replaced` is true for every client after the first. */
  onOpen?: (client: C, replaced: boolean) => void;
}

/**
 * A connection that is never used again once one of its replies is late.
 * node-redis keeps a command whose reply never came queued on its connection:
 * when a frozen or partitioned Redis answers again it would still run, late
 * (a read delivering entries nobody takes, a reservation charged after its
 * caller gave up), and every later command would wait behind it. So a reply
 * timeout destroys that client (its queued commands fail here), and the next
 * command opens a fresh one, which first has Redis drop the old connection
 * (`CLIENT KILL ID`): once the replacement is ready, whatever the late
 * connection had sent has either run or never will.
 *
 * @example
 * const connection = await openRedisConnection({ open: () => connectRedis({ url, role: 'sink' }), commandTimeoutMs: 5_000 });
 * await connection.reply((client) => client.xAdd('out', '*', { a: '1' }), 'XADD');
 */
export async function openRedisConnection<C extends ReplaceableClient>(options: RedisConnectionOptions<C>): Promise<RedisConnection<C>> {
  const connection = new RedisConnection(options);
  await connection.client();
  return connection;
}

export class RedisConnection<C extends ReplaceableClient> {
  readonly #options: RedisConnectionOptions<C>;
  #client?: C;
  #clientId?: string;
  #opened = false;
  #opening?: Promise<C>;
  #closed = false;
  /** Ids (in Redis) of clients retired after a late reply that Redis may not have dropped yet. */
  readonly #retired = new Set<string>();

  constructor(options: RedisConnectionOptions<C>) {
    this.#options = options;
  }

  /** The client in use, or undefined while none is open (after a late reply, until the next command). */
  get current(): C | undefined {
    return this.#client;
  }

  /** The client in use, opening a replacement first when the last one was retired. */
  client(): Promise<C> {
    if (this.#closed) return Promise.reject(new RedisUnavailableError('the connection is closed'));
    if (this.#client) return Promise.resolve(this.#client);
    this.#opening ??= this.#open().finally(() => (this.#opening = undefined));
    return this.#opening;
  }

  /**
   * `command`'s reply, or a `RedisUnavailableError` after `ms`; then the client
   * it was sent on is retired (see the class).
   */
  async reply<R>(command: (client: C) => Promise<R>, what: string, ms = this.#options.commandTimeoutMs): Promise<R> {
    // Opening a replacement takes up to the connect timeout on a Redis still frozen: the caller waits `ms` at most (the opening goes on for the next command).
    const client = await replyWithin(this.client(), ms, what);
    let answered = false;
    const sent = Promise.resolve().then(() => command(client));
    sent.then(
      () => (answered = true),
      () => (answered = true),
    );
    try {
      return await replyWithin(sent, ms, what);
    } catch (error) {
      if (!answered) this.#retire(client);
      throw error;
    }
  }

  /** Cuts the connection at once (its queued commands fail). */
  destroy(): void {
    this.#closed = true;
    this.#client?.destroy();
    this.#client = undefined;
  }

  /** Closes gracefully (waits for replies), or cuts it when Redis does not answer within the command timeout. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const client = this.#client;
    this.#client = undefined;
    if (client) await replyWithin(client.close(), this.#options.commandTimeoutMs, 'close').catch(() => client.destroy());
  }

  #retire(client: C): void {
    if (this.#client !== client) return;
    this.#client = undefined;
    if (this.#clientId !== undefined) this.#retired.add(this.#clientId);
    client.destroy();
  }

  async #open(): Promise<C> {
    const client = await this.#options.open();
    const ms = this.#options.commandTimeoutMs;
    try {
      const id = await replyWithin(client.sendCommand(['CLIENT', 'ID']), ms, 'CLIENT ID').then(String, (error: unknown) => {
        if (isRedisUnavailable(error)) throw error;
        return undefined; // not allowed (ACL): nothing to kill later, late commands may still run
      });
      for (const old of [...this.#retired]) {
        try {
          await replyWithin(client.sendCommand(['CLIENT', 'KILL', 'ID', old]), ms, 'CLIENT KILL');
        } catch (error) {
          if (isRedisUnavailable(error)) throw error;
          // "No such client": Redis saw it close already.
        }
        this.#retired.delete(old);
      }
      if (this.#closed) throw new RedisUnavailableError('the connection is closed');
      this.#client = client;
      this.#clientId = id;
      const replaced = this.#opened;
      this.#opened = true;
      this.#options.onOpen?.(client, replaced);
      return client;
    } catch (error) {
      client.destroy();
      throw error;
    }
  }
}
