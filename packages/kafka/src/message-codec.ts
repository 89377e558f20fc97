/**
 * How a Kafka message becomes a record for the model, and how a record's result
 * becomes the message produced for it.
 */
import type { KafkaMessage, Message } from 'kafkajs';
import type { PredictResult } from '@mlpredict/core';

/** Where an input message came from; given to `decode` and `encode`, and written as headers. */
export interface SourceRecord {
  topic: string;
  partition: number;
  /** The input message's offset, as kafkajs gives it (a decimal string). */
  offset: string;
  key: Buffer | null;
}

/** The headers every produced message carries, so a result can be traced to its input. */
export const SOURCE_HEADERS = {
  topic: 'mlpredict.source.topic',
  partition: 'mlpredict.source.partition',
  offset: 'mlpredict.source.offset',
  /** Set only on results that ended in error: the error's code (`missing`, `timeout`, …). */
  errorCode: 'mlpredict.error.code',
} as const;

/**
 * The default decoder: the message value as JSON, or as the raw UTF-8 string when
 * it is not JSON. A message without a value (a tombstone) has nothing to predict
 * and throws, which turns into a `bad_input` result for that message.
 *
 * @example
 * decodeJsonOrString({ value: Buffer.from('{"review":"Great"}') } as KafkaMessage) // → { review: 'Great' }
 * decodeJsonOrString({ value: Buffer.from('Great phone') } as KafkaMessage)       // → 'Great phone'
 */
export function decodeJsonOrString(message: Pick<KafkaMessage, 'value'>): unknown {
  if (message.value === null) throw new TypeError('message has no value (a tombstone)');
  const text = message.value.toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * The default encoder: one JSON object per result, the same shape as the CLI's
 * output lines: `{"input":…,"value":…}` or `{"input":…,"error":{…}}`.
 *
 * @example
 * encodeResultJson({ input: 'Great', seq: 0, value: 'positive', meta }) // → '{"input":"Great","value":"positive"}'
 */
export function encodeResultJson(result: Pick<PredictResult, 'input' | 'value' | 'error'>): string {
  return JSON.stringify(result.error ? { input: result.input, error: result.error } : { input: result.input, value: result.value });
}

/** The message produced for a result: keyed like the input, with the source headers. */
export function resultMessage(source: SourceRecord, value: Buffer | string | null, errorCode?: string): Message {
  const headers: Record<string, string> = {
    [SOURCE_HEADERS.topic]: source.topic,
    [SOURCE_HEADERS.partition]: String(source.partition),
    [SOURCE_HEADERS.offset]: source.offset,
  };
  if (errorCode) headers[SOURCE_HEADERS.errorCode] = errorCode;
  return { key: source.key, value, headers };
}
