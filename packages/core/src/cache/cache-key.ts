/**
 * The key an answer is cached under: a SHA-256 of the model's name and everything
 * that can change a record's answer — the prompt around it, the format and fields
 * it is read with, the sampling settings — plus the record's text. Two records get
 * one key only when the same model would be asked the same thing the same way.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { ResolvedOptions } from '../config/options.js';
import { RESPONSE_FORMATS } from '../formats/registry.js';
import { effectiveValueField } from '../prompt/render-prompt.js';
import { DEFAULT_VALUE_FIELD, defaultInstruction } from '../prompt/default-template.js';

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
}

/**
 * @example
 * cacheKey('openai:gpt-4o-mini', { instruction: 'Classify the sentiment.', valueField: 'sentiment', format: 'json', text: 'Great phone' })
 * // → '3f1c…' (64 hex digits), the same on every run and machine
 */
export function cacheKey(modelName: string, parts: CacheKeyParts): string {
  return createHash('sha256').update(stableJson({ v: 1, model: modelName, ...parts })).digest('hex');
}

/**
 * The key function for one run: its options fixed, each record's text to a key.
 * Defaults are resolved first (the format's template and system prompt, the
 * default instruction), so a key changes when what is sent changes, not when the
 * same thing is spelled differently.
 *
 * @example
 * const keyOf = runCacheKey(model.name, options);
 * const key = keyOf(item.text);
 */
export function runCacheKey(modelName: string, options: ResolvedOptions): (text: string) => string {
  const format = RESPONSE_FORMATS[options.responseFormat];
  const valueField = effectiveValueField(options);
  const fixed: Omit<CacheKeyParts, 'text'> = {
    systemPrompt: options.systemPrompt ?? format.defaultSystemPrompt,
    template: options.promptTemplate ?? format.defaultTemplate,
    instruction: options.instruction ?? defaultInstruction(valueField ?? DEFAULT_VALUE_FIELD),
    vars: options.vars,
    indexField: options.indexField,
    valueField,
    format: options.responseFormat,
    extra: {
      responsePath: options.responseFormat === 'json' ? options.responsePath : undefined,
      delimiter: options.responseFormat === 'delimited' ? options.delimiter : undefined,
      temperature: options.temperature,
      maxTokens: options.maxTokens,
      structuredOutput: options.structuredOutput,
      votes: options.votes,
      valueSchema: options.valueSchema && schemaShape(options.valueSchema),
    },
  };
  return (text) => cacheKey(modelName, { ...fixed, text });
}

/**
 * A value schema as JSON Schema, stable across processes. Transforms have no JSON
 * form and key as what they accept, so two transforms of the same input share keys.
 */
function schemaShape(schema: z.ZodType): unknown {
  try {
    return z.toJSONSchema(schema, { unrepresentable: 'any', io: 'input' });
  } catch {
    return 'unrepresentable';
  }
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
