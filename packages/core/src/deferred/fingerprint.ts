/**
 * What a job folder was made for: a hash of the records (each one's JSON and the
 * text it is sent as, so records JSON can't tell apart — Maps or class instances
 * read through `toText` or a getter — are still told apart) and one of the options
 * that shape the requests or how answers are read (the model included). A run
 * on a folder made for other records or options is refused, so a resumed job is
 * never matched to the wrong records. Options that only steer this process
 * (signal, hooks, polling, concurrency and retries of real-time repairs) may
 * differ between runs.
 */
import { createHash } from 'node:crypto';
import type { StandardSchemaV1 } from '@standard-schema/spec';
import { stableJson } from '../cache/cache-key.js';
import { jsonSchemaOf } from '../config/json-schema-of.js';

export interface Fingerprint {
  records: string;
  options: string;
}

/** Options a resumed run may change. */
const STEERING_OPTIONS = new Set([
  'signal',
  'onRequest',
  'onBatch',
  'onRetry',
  'onRateLimit',
  'onTune',
  'onStatus',
  'stats',
  'scheduler',
  'concurrency',
  'adaptiveConcurrency',
  'ordered',
  'reorderWindow',
  'batchTimeoutMs',
  'maxRetries',
  'retry',
  'requestTimeoutMs',
  'requestsPerMinute',
  'tokensPerMinute',
  'circuitBreaker',
  'onError',
  'jobDir',
  'pollIntervalMs',
  'jobLimits',
  'repair',
  'cancelOnAbort',
  // What tokens cost and how much may be spent steer what is sent next, not what was planned.
  'price',
  'budget',
]);

/**
 * @param given the options as given (model defaults under them, dotted keys as camelCase)
 * @param texts each record's text as the model reads it (`''` for one that can't be sent)
 * @example
 * fingerprintOf('openai:gpt-4o-mini', ['Great phone'], { valueField: 'sentiment' })
 * // → { records: 'a3f1…', options: '9c0e…' }
 */
export function fingerprintOf(modelName: string, records: readonly unknown[], given: Record<string, unknown>, texts?: readonly string[]): Fingerprint {
  const recordHash = createHash('sha256').update(`${records.length}\n`);
  records.forEach((record, seq) => recordHash.update(`${recordJson(record)}\t${JSON.stringify(texts?.[seq] ?? null)}\n`));
  const shaping: Record<string, unknown> = { model: modelName };
  for (const [key, value] of Object.entries(given)) {
    if (STEERING_OPTIONS.has(key)) continue;
    shaping[key] = key === 'valueSchema' ? schemaIdentity(value as StandardSchemaV1) : typeof value === 'function' ? { $function: String(value) } : value;
  }
  return { records: recordHash.digest('hex'), options: createHash('sha256').update(stableJson(shaping)).digest('hex') };
}

function recordJson(record: unknown): string {
  try {
    return stableJson(record) ?? 'undefined';
  } catch {
    // A circular record can't be sent anyway (it becomes bad_input); its place still counts.
    return '"<circular>"';
  }
}

/** A schema as far as it can be told apart: its vendor and its JSON Schema, when it has one. */
function schemaIdentity(schema: StandardSchemaV1): unknown {
  return { vendor: schema['~standard'].vendor, jsonSchema: jsonSchemaOf(schema) ?? null };
}

/**
 * What differs between a folder's fingerprint and this run's, in words; undefined when nothing does.
 *
 * @example
 * fingerprintMismatch(manifest.fingerprint, fingerprintOf(model.name, records, given)) // → 'the records differ'
 */
export function fingerprintMismatch(stored: Fingerprint, current: Fingerprint): string | undefined {
  const differ = [stored.records !== current.records && 'the records', stored.options !== current.options && 'the options (or the model)'].filter(Boolean);
  return differ.length === 0 ? undefined : `${differ.join(' and ')} differ`;
}
