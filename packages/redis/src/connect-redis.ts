/**
 * One way to open a connection for every part of this package: fail fast when
 * Redis is not there at start (a clear error naming the URL), then, once
 * connected, reconnect in the background forever and reject commands at once
 * while disconnected (no offline queue), so callers can fall back instead of
 * hanging.
 */
import { createClient, type RedisClientOptions } from '@redis/client';
import { errorMessage, RedisUnavailableError, replyWithin } from './redis-unavailable.js';

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
