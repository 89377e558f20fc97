/**
 * The key an answer is cached under: a SHA-256 of the model's name and everything
 * that can change a record's answer — the prompt around it, the format and fields
 * it is read with, the sampling settings — plus the record's text. Two records get
 * one key only when the same model would be asked the same thing the same way.
 */
import { createHash } from 'node:crypto';

/** What goes into a key besides the model's name; absent parts count as absent. */
export interface CacheKeyParts {
  systemPrompt?: string;
  /** The template as sent (the format's default when the user gave none). */
  template?: string;
  instruction?: string;
  vars?: Record<string, unknown>;
  indexField?: string;
  valueField?: string;
  format?: string;
  /** JSONPath, delimiter, temperature, maxTokens, …: anything else that shapes the answer. */
  extra?: Record<string, unknown>;
  /** The record as the model reads it. */
  text: string;
  /** The record itself, when the template shows more of it than its text (`{{input.field}}`). */
  input?: unknown;
}

/**
 * @example
 * cacheKey('openai:gpt-4o-mini', { instruction: 'Classify the sentiment.', valueField: 'sentiment', format: 'json', text: 'Great phone' })
 * // → '3f1c…' (64 hex digits), the same on every run and machine
 */
export function cacheKey(modelName: string, parts: CacheKeyParts): string {
  return createHash('sha256').update(stableJson({ v: 2, model: modelName, ...parts })).digest('hex');
}

/**
 * JSON with object keys sorted at every depth, so `{a, b}` and `{b, a}` hash alike.
 * Values JSON can't hold are spelled out rather than dropped, so they still count.
 */
export function stableJson(value: unknown): string {
  return JSON.stringify(canonical(value, new Set()));
}

function canonical(value: unknown, seen: Set<object>): unknown {
  if (value === undefined || typeof value === 'function' || typeof value === 'symbol') return undefined;
  if (typeof value === 'bigint') return { $bigint: value.toString() };
  if (typeof value === 'number' && !Number.isFinite(value)) return { $number: String(value) };
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Date) return { $date: value.toISOString() };
  if (seen.has(value)) throw new TypeError('cacheKey: cannot key a circular value');
  seen.add(value);
  try {
    if (Array.isArray(value)) return value.map((v) => canonical(v, seen) ?? null);
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = canonical((value as Record<string, unknown>)[key], seen);
      if (v !== undefined) out[key] = v;
    }
    return out;
  } finally {
    seen.delete(value);
  }
}
