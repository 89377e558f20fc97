/**
 * A Kafka sink on core's source contract: each result becomes one message,
 * keyed like its input, with the source headers, sent to the output topic (or to
 * the dead-letter topic when it is an error and one is set). One `sendBatch` per
 * write, so the runner's read order is the order within each topic; a throw
 * means none of them counts as written, and the runner writes them again.
 */
import type { Message, TopicMessages } from 'kafkajs';
import type { Sink, SourceMessage, SourceResult } from '@mlpredict/core';
import type { PipelineProducer } from './kafka-client.js';
import type { KafkaSourceMessage } from './kafka-source.js';
import { encodeResultJson, resultMessage, type SourceRecord } from './message-codec.js';

export interface KafkaSinkOptions<T = unknown, V = unknown> {
  /** A kafkajs producer (`kafka.producer()`), not connected yet: the sink connects it, and disconnects it on `close()`. */
  producer: PipelineProducer;
  /** Where results go. */
  topic: string;
  /** When set, results that end in error go here instead of to `topic`. */
  deadLetterTopic?: string;
  /** Result → produced value. A throw turns the result into a `bad_input` error. @default `{"input":…,"value":…}` / `{"input":…,"error":{…}}` as JSON */
  encode?: (result: SourceResult<T, V>, origin: SourceRecord) => Buffer | string | null;
  /** Producer acks. @default -1 (all in-sync replicas) */
  acks?: number;
}

export interface KafkaSinkStats {
  /** Result messages produced (to the output and dead-letter topics). */
  produced: number;
  /** Of those, the ones sent to the dead-letter topic. */
  deadLettered: number;
  /** Results that ended in error, wherever they went. */
  errors: number;
  /** Sends that failed (the runner writes their results again). */
  produceFailures: number;
  /** Results not produced because their input's partition was revoked meanwhile (Kafka delivers that input again). */
  skipped: number;
}

/** A connected Kafka sink; see {@link kafkaSink}. */
export interface KafkaSink<T = unknown, V = unknown> extends Sink<T, SourceResult<T, V>> {
  close(): Promise<void>;
  stats(): KafkaSinkStats;
}

/** What is sent for one result. */
interface Outgoing {
  topic: string;
  message: Message;
  isError: boolean;
  deadLetter: boolean;
}

/**
 * Connects the producer and returns a sink for the results of a `kafkaSource`'s messages.
 *
 * @example
 * import { runSource } from '@mlpredict/core';
 * import { kafkaSink, kafkaSource } from '@mlpredict/kafka';
 *
 * const source = await kafkaSource({ consumer: kafka.consumer({ groupId: 'sentiment' }), topic: 'reviews' });
 * const sink = await kafkaSink({ producer: kafka.producer(), topic: 'reviews-sentiment', deadLetterTopic: 'reviews-failed' });
 * await runSource({ source, sink, model, options: { valueField: 'sentiment' } }).done;
 *
 * @param options see {@link KafkaSinkOptions}; a bad one throws a `TypeError` naming it
 * @returns the connected sink
 */
export async function kafkaSink<T = unknown, V = unknown>(options: KafkaSinkOptions<T, V>): Promise<KafkaSink<T, V>> {
  const sink = new ProducerSink<T, V>(options);
  await options.producer.connect();
  return sink;
}

class ProducerSink<T, V> implements KafkaSink<T, V> {
  readonly #producer: PipelineProducer;
  readonly #topic: string;
  readonly #deadLetterTopic: string | undefined;
  readonly #encode: ((result: SourceResult<T, V>, origin: SourceRecord) => Buffer | string | null) | undefined;
  readonly #acks: number;
  readonly #counts: KafkaSinkStats = { produced: 0, deadLettered: 0, errors: 0, produceFailures: 0, skipped: 0 };

  constructor(options: KafkaSinkOptions<T, V>) {
    const need = (ok: boolean, message: string) => {
      if (!ok) throw new TypeError(`kafkaSink: ${message}`);
    };
    need(options !== null && typeof options === 'object', 'expected an options object: { producer, topic, … }');
    need(typeof options.producer?.sendBatch === 'function', 'producer: expected a kafkajs producer (kafka.producer())');
    need(typeof options.topic === 'string' && options.topic !== '', 'topic: expected a topic name');
    need(options.deadLetterTopic === undefined || (typeof options.deadLetterTopic === 'string' && options.deadLetterTopic !== ''), 'deadLetterTopic: expected a topic name');
    need(options.encode === undefined || typeof options.encode === 'function', 'encode: expected a function');
    need(options.acks === undefined || [-1, 0, 1].includes(options.acks), `acks: expected -1, 0 or 1, got ${String(options.acks)}`);
    this.#producer = options.producer;
    this.#topic = options.topic;
    this.#deadLetterTopic = options.deadLetterTopic;
    this.#encode = options.encode;
    this.#acks = options.acks ?? -1;
  }

  stats(): KafkaSinkStats {
    return { ...this.#counts };
  }

  async write(entries: ReadonlyArray<{ message: SourceMessage<T>; result: SourceResult<T, V> }>): Promise<void> {
    const byTopic = new Map<string, Message[]>();
    const sent: Outgoing[] = [];
    let skipped = 0;
    for (const { message, result } of entries) {
      const kafkaMessage = asKafkaMessage(message);
      if (!kafkaMessage.current) {
        // Its partition is someone else's now: the new owner answers it; producing it here would only duplicate.
        skipped++;
        continue;
      }
      const outgoing = this.#outgoing(kafkaMessage.origin, result);
      let messages = byTopic.get(outgoing.topic);
      if (!messages) byTopic.set(outgoing.topic, (messages = []));
      messages.push(outgoing.message);
      sent.push(outgoing);
    }
    if (sent.length > 0) {
      const topicMessages: TopicMessages[] = [...byTopic].map(([topic, messages]) => ({ topic, messages }));
      try {
        await this.#producer.sendBatch({ topicMessages, acks: this.#acks });
      } catch (error) {
        this.#counts.produceFailures++;
        throw error;
      }
    }
    this.#counts.skipped += skipped;
    for (const outgoing of sent) {
      this.#counts.produced++;
      if (outgoing.isError) this.#counts.errors++;
      if (outgoing.deadLetter) this.#counts.deadLettered++;
    }
  }

  async close(): Promise<void> {
    try {
      await this.#producer.disconnect();
    } catch {
      // Everything written was acknowledged already; a failed disconnect loses nothing.
    }
  }

  #outgoing(origin: SourceRecord, result: SourceResult<T, V>): Outgoing {
    let value: Buffer | string | null;
    let error = result.ok ? undefined : result.error;
    try {
      value = this.#encode ? this.#encode(result, origin) : encodeResultJson(result);
    } catch (encodeError) {
      // The input still needs exactly one output: send it as an error instead.
      error = { code: 'bad_input', message: `encode failed: ${errorMessage(encodeError)}`, attempts: result.meta.attempts };
      value = encodeResultJson({ input: result.input, error });
    }
    const deadLetter = error !== undefined && this.#deadLetterTopic !== undefined;
    return {
      topic: deadLetter ? this.#deadLetterTopic! : this.#topic,
      message: resultMessage(origin, value, error?.code),
      isError: error !== undefined,
      deadLetter,
    };
  }
}

function asKafkaMessage<T>(message: SourceMessage<T>): KafkaSourceMessage<T> {
  if (!('origin' in message) || !('current' in message)) {
    throw new TypeError(`kafkaSink: message ${message.key} did not come from kafkaSource; the sink needs its topic, partition, offset and key`);
  }
  return message as KafkaSourceMessage<T>;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
