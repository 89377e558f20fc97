/**
 * Telling "Redis is not there" apart from "Redis said no". The first is a state
 * to wait out (fall back, retry); the second is a bug or a misconfiguration and
 * must surface.
 */
import {
  ClientClosedError,
  ClientOfflineError,
  ConnectionTimeoutError,
  DisconnectsClientError,
  ErrorReply,
  ReconnectStrategyError,
  SocketClosedUnexpectedlyError,
  SocketTimeoutError,
  TimeoutError,
} from '@redis/client';

/** Thrown when Redis can't be reached at start; `code` is always `'redis_unavailable'`. */
export class RedisUnavailableError extends Error {
  readonly code = 'redis_unavailable';
  override readonly name = 'RedisUnavailableError';
}

/**
 * `command`, or a `RedisUnavailableError` once `ms` pass without its reply.
 * node-redis's own command timeout covers only the wait to be written: a command
 * already on the socket of a Redis that stopped answering (a network partition,
 * a frozen host) waits for its reply until TCP gives up, many minutes later. The
 * command itself stays queued on its connection, so later replies still pair
 * with their own commands; its late reply, if any, is dropped.
 *
 * @example
 * const workers = await replyWithin(client.heartbeat(keys, args), 2_000, 'heartbeat');
 */
export function replyWithin<T>(command: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new RedisUnavailableError(`no reply from Redis to ${what} within ${ms} ms`)), ms);
  });
  // Whatever the command does after its deadline is no one's concern.
  command.catch(() => undefined);
  return Promise.race([command, late]).finally(() => clearTimeout(timer));
}

/** Replies Redis gives while it can't serve yet (loading after a restart, a busy script, a replica without its primary). */
const TRANSIENT_REPLY = /^(LOADING|BUSY|MASTERDOWN|TRYAGAIN|CLUSTERDOWN)\b/;

/**
 * Whether an error from a command means Redis is unreachable for now (socket
 * closed, offline, command timeout, still loading) rather than a reply refusing
 * the command.
 *
 * @example
 * try { await client.ping(); } catch (error) { if (!isRedisUnavailable(error)) throw error; }
 */
export function isRedisUnavailable(error: unknown): boolean {
  if (error instanceof RedisUnavailableError) return true;
  if (error instanceof ErrorReply) return TRANSIENT_REPLY.test(error.message);
  if (CONNECTION_ERRORS.some((type) => error instanceof type)) return true;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && SOCKET_CODES.has(code);
}

const CONNECTION_ERRORS = [
  ClientClosedError,
  ClientOfflineError,
  ConnectionTimeoutError,
  DisconnectsClientError,
  ReconnectStrategyError,
  SocketClosedUnexpectedlyError,
  SocketTimeoutError,
  TimeoutError,
];
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * An error's message, whatever realm or type it came from.
 *
 * @example
 * errorMessage(new Error('boom')) // → 'boom'
 */
export function errorMessage(error: unknown): string {
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : String(error);
}
