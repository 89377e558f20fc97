/**
 * The one zod schema for every operator option, its defaults, and the merge of a
 * model's defaults with a call's overrides (the proposal's CREATE MODEL + MAP).
 */
import { z } from 'zod';
import type { SchedulerLike } from 'rxjs';
import type { AnswerCache } from '../predict/answer-cache.js';
import { RunStats } from '../predict/run-stats.js';
import type { Model } from '../model/model.js';
import type { BatchEvent, RateLimitEvent, RequestEvent, RetryEvent } from '../predict/events.js';
import { DOTTED_KEYS, normalizeKeys, type DottedKey } from './option-keys.js';
import { formatOptionIssues } from './format-issues.js';
import { RESPONSE_FORMAT_NAMES } from '../parse/response-formats.js';
import { checkTemplate } from '../prompt/check-template.js';

/** Numbers may come as strings from the proposal's MAP['batch.size', '50'] or a CLI. */
const numeric = (schema: z.ZodNumber) =>
  z.preprocess((v) => (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v)) ? Number(v) : v), schema);
const flag = () => z.preprocess((v) => (v === 'true' ? true : v === 'false' ? false : v), z.boolean());
const callback = <T>(name: string) =>
  z.custom<T>((v) => typeof v === 'function', { message: `expected a function (${name})` });

export const RETRY_STRATEGIES = ['fixed', 'linear', 'exponential', 'exponential-jitter', 'decorrelated-jitter'] as const;
export type RetryStrategy = (typeof RETRY_STRATEGIES)[number];

const retrySchema = z.strictObject({
  strategy: z.enum(RETRY_STRATEGIES).default('exponential-jitter'),
  baseDelayMs: numeric(z.number().min(0)).default(500),
  maxDelayMs: numeric(z.number().min(0)).default(8000),
});

const circuitBreakerSchema = z.strictObject({
  /** Consecutive unusable batch answers that open the breaker. */
  failureThreshold: numeric(z.number().int().min(1)).default(5),
  /** How long it stays open before letting one fallback through. */
  cooldownMs: numeric(z.number().int().min(0)).default(30_000),
});

/** Everything an operator accepts, camelCase; see README's options table. */
export const optionsSchema = z.strictObject({
  batchSize: numeric(z.number().int().min(1).max(10_000)).default(20),
  batchTimeoutMs: numeric(z.number().int().min(0)).default(1000),
  maxBatchTokens: numeric(z.number().int().min(1)).optional(),
  concurrency: numeric(z.number().int().min(1).max(1024)).default(4),
  ordered: flag().default(true),
  reorderWindow: numeric(z.number().int().min(0)).optional(),

  systemPrompt: z.string().optional(),
  promptTemplate: z.string().min(1).optional(),
  instruction: z.string().min(1).optional(),
  vars: z.record(z.string(), z.unknown()).default({}),
  indexBase: numeric(z.number().int().min(0).max(1)).default(1),
  textField: z.string().min(1).optional(),
  toText: callback<(input: unknown) => string>('toText').optional(),

  responseFormat: z.enum(RESPONSE_FORMAT_NAMES).default('json'),
  delimiter: z.string().min(1).default('|'),
  responsePath: z.string().min(1).default('$[*]'),
  indexField: z.string().min(1).default('index'),
  valueField: z.string().min(1).optional(),
  /** Ask the provider to constrain the answer: a JSON schema of the batch, JSON mode, or prompt only. */
  structuredOutput: z.enum(['off', 'json_object', 'json_schema', 'auto']).default('off'),
  /** A zod schema each record's value must satisfy; failures become `schema` errors. */
  valueSchema: z
    .custom<z.ZodType>((v) => typeof v === 'object' && v !== null && typeof (v as z.ZodType).safeParse === 'function', {
      message: 'expected a zod schema',
    })
    .optional(),
  /** `true`: answer identical records once per run and remember answers (in memory); or your own cache. */
  cache: z
    .union([flag(), z.custom<AnswerCache>((v) => typeof v === 'object' && v !== null && typeof (v as AnswerCache).get === 'function' && typeof (v as AnswerCache).set === 'function', { message: 'expected true, false or a cache with get/set' })])
    .default(false),
  /** Run each batch this many times in rotated record orders and keep each record's majority answer. */
  votes: numeric(z.number().int().min(1).max(15)).default(1),

  maxTokens: numeric(z.number().int().min(1)).optional(),
  temperature: numeric(z.number().min(0).max(2)).default(0),

  maxRetries: numeric(z.number().int().min(0).max(100)).default(3),
  retry: retrySchema.default({ strategy: 'exponential-jitter', baseDelayMs: 500, maxDelayMs: 8000 }),
  requestTimeoutMs: numeric(z.number().int().min(1)).default(30_000),
  deadlineMs: numeric(z.number().int().min(1)).optional(),
  requestsPerMinute: numeric(z.number().positive()).optional(),
  tokensPerMinute: numeric(z.number().positive()).optional(),
  adaptiveConcurrency: flag().default(false),
  fallback: z.enum(['single', 'none']).default('single'),
  circuitBreaker: z
    .union([z.literal(false), circuitBreakerSchema])
    .default({ failureThreshold: 5, cooldownMs: 30_000 }),
  onError: z.enum(['emit', 'throw']).default('emit'),
  onRequest: callback<(event: RequestEvent) => void>('onRequest').optional(),
  onBatch: callback<(event: BatchEvent) => void>('onBatch').optional(),
  onRetry: callback<(event: RetryEvent) => void>('onRetry').optional(),
  onRateLimit: callback<(event: RateLimitEvent) => void>('onRateLimit').optional(),
  stats: z.custom<RunStats>((v) => v instanceof RunStats, { message: 'expected a RunStats' }).optional(),
  scheduler: z.custom<SchedulerLike>((v) => typeof v === 'object' && v !== null && typeof (v as SchedulerLike).schedule === 'function', { message: 'expected an RxJS scheduler' }).optional(),
  signal: z.custom<AbortSignal>((v) => v instanceof AbortSignal, { message: 'expected an AbortSignal' }).optional(),
});

type SchemaInput = z.input<typeof optionsSchema>;

/**
 * Options as a user writes them: camelCase names, or the proposal's dotted keys
 * (`'batch.size'`, `'response.value.field'`, …) with string or typed values.
 */
export type PredictOptions = SchemaInput & { [K in DottedKey]?: string | number };

/** Options after validation, with every default filled in. */
export type ResolvedOptions = z.output<typeof optionsSchema> & { reorderWindow: number };

/**
 * Validates options once, at construction, merging the model's defaults under the
 * call's. Throws a `TypeError` that names each bad option and what was expected.
 *
 * @example
 * resolveOptions({ 'batch.size': '50', valueField: 'sentiment' }).batchSize // → 50
 */
export function resolveOptions(options: PredictOptions = {}, model?: Pick<Model, 'defaults'>, caller = 'mlPredict'): ResolvedOptions {
  const merged = { ...normalizeKeys(model?.defaults ?? {}), ...normalizeKeys(options as Record<string, unknown>) };
  for (const key of Object.keys(merged)) if (merged[key] === undefined) delete merged[key];
  const parsed = optionsSchema.safeParse(merged, { reportInput: true });
  if (!parsed.success) throw new TypeError(formatOptionIssues(caller, parsed.error.issues, [...Object.keys(optionsSchema.shape), ...Object.keys(DOTTED_KEYS)]));
  const o = parsed.data;
  if (o.promptTemplate !== undefined) checkTemplate(o.promptTemplate, caller);
  return { ...o, reorderWindow: o.reorderWindow ?? o.batchSize * o.concurrency * 4 };
}
