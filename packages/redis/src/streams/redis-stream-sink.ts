/**
 * A Redis Streams sink on core's sink contract: one output entry per input
 * entry (`input_id`, `result`), errors to a dead-letter stream when one is set,
 * all entries of one `write` in one MULTI (one round trip). The runner acks
 * them only after the write resolved, and writes them all again when it rejected.
 */
import type { Sink, SourceMessage } from '@mlpredict/core';
import { connectRedis } from '../connect-redis.js';
import { checkName, checkPositive, checkRedisUrl } from '../check-options.js';
import { errorMessage, replyWithin } from '../redis-unavailable.js';
import { RECORD_FIELD } from './decode-entry.js';
import { encodeResult, INPUT_ID_FIELD, RESULT_FIELD, type StreamResult } from './result-entry.js';

const DEFAULT_COMMAND_TIMEOUT_MS = 5_000;

export interface RedisStreamSinkOptions {
  /** `redis://…` */
  url: string;
  /** Where results go: one entry per input entry. */
  outputStream: string;
  /**
   * Results that are errors go here instead of `outputStream` (as the Kafka
   * pipeline's `deadLetterTopic`), with the input's `record` field copied so they
   * can be replayed. Every input still gets exactly one entry across the two streams.
   */
  deadLetterStream?: string;
  /**
   * Trim each stream to about this many entries (`XADD … MAXLEN ~ n`); unset: never trimmed.
   */
  maxLen?: number;
  /** @default 5000 */
  commandTimeoutMs?: number;
}

export interface RedisStreamSink extends Sink<unknown, StreamResult> {
  close(): Promise<void>;
}

/**
 * Connects and returns the sink. Throws a `RedisUnavailableError` when Redis
 * can't be reached, a TypeError for a bad option.
 *
 * @example
 * const sink = await redisStreamSink({ url: 'redis://127.0.0.1:6379', outputStream: 'reviews-sentiment', deadLetterStream: 'reviews-failed' });
 * await sink.write([{ message, result: { value: 'positive' } }]); // XADD reviews-sentiment * input_id <id> result {"value":"positive"}
 * await message.ack();
 */
export async function redisStreamSink(options: RedisStreamSinkOptions): Promise<RedisStreamSink> {
  checkSinkOptions(options);
  const client = await connectRedis({ url: options.url, role: 'stream-sink', commandTimeoutMs: options.commandTimeoutMs });
  // node-redis does not time out a command once it is on the socket: a Redis that stopped answering would hold a write (and so the runner) for good.
  const reply = <R>(command: Promise<R>, what: string) => replyWithin(command, options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS, `${what} to stream "${options.outputStream}"`);
  const trim = options.maxLen === undefined ? undefined : { TRIM: { strategy: 'MAXLEN' as const, strategyModifier: '~' as const, threshold: options.maxLen } };
  let closed = false;
  return {
    async write(entries: ReadonlyArray<{ message: SourceMessage<unknown>; result: StreamResult }>): Promise<void> {
      if (closed) throw new Error(`stream sink "${options.outputStream}" is closed`);
      if (entries.length === 0) return;
      const multi = client.multi();
      for (const { message, result } of entries) {
        const encoded = encodeResult(result);
        const fields: Record<string, string> = { [INPUT_ID_FIELD]: message.key, [RESULT_FIELD]: encoded };
        // Decided on the encoded form: a value that could not be encoded is an error too.
        if (options.deadLetterStream !== undefined && encoded.startsWith('{"error"')) {
          const record = (message as { fields?: Readonly<Record<string, string>> }).fields?.[RECORD_FIELD];
          multi.xAdd(options.deadLetterStream, '*', record === undefined ? fields : { ...fields, [RECORD_FIELD]: record }, trim);
        } else {
          multi.xAdd(options.outputStream, '*', fields, trim);
        }
      }
      try {
        await reply(multi.exec(), 'the output write');
      } catch (error) {
        throw firstCommandError(error, entries.length);
      }
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await reply(client.close(), 'close').catch(() => client.destroy());
    },
  };
}

/**
 * A MULTI whose commands Redis refused (a stream key holding another type, out
 * of memory) rejects with only "N commands failed"; the first refusal says why.
 * Redis does not roll back the commands it accepted: the runner acks none of the
 * batch and writes it all again, so those entries appear twice (at-least-once).
 */
function firstCommandError(error: unknown, count: number): unknown {
  const { replies, errorIndexes } = (error ?? {}) as { replies?: unknown[]; errorIndexes?: number[] };
  const first = Array.isArray(errorIndexes) && Array.isArray(replies) ? replies[errorIndexes[0]!] : undefined;
  if (first === undefined) return error;
  return new Error(`stream sink: Redis refused ${errorIndexes!.length} of ${count} output entries: ${errorMessage(first)}`, { cause: error });
}

function checkSinkOptions(options: RedisStreamSinkOptions): void {
  if (options === null || typeof options !== 'object') throw new TypeError('redisStreamSink needs an options object: { url, outputStream, deadLetterStream?, … }');
  checkRedisUrl('url', options.url);
  checkName('outputStream', options.outputStream, 'reviews-sentiment');
  if (options.deadLetterStream !== undefined) checkName('deadLetterStream', options.deadLetterStream, 'reviews-failed');
  if (options.deadLetterStream !== undefined && options.deadLetterStream === options.outputStream) {
    throw new TypeError('deadLetterStream must differ from outputStream; leave it out to keep errors in outputStream');
  }
  checkPositive('maxLen', options.maxLen, { integer: true });
  checkPositive('commandTimeoutMs', options.commandTimeoutMs);
}
