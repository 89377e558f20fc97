/**
 * The operators' options: one flat object for the user (camelCase or the
 * proposal's dotted keys), validated by one zod schema composed of a shape per
 * stage, and resolved once — model defaults under call options, every default
 * filled in, prompt defaults worked out — into one slice per stage. Stages read
 * their slice and never resolve options again.
 */
import { z } from 'zod';
import type { StandardSchemaV1 } from '@standard-schema/spec';
import type { SchedulerLike } from 'rxjs';
import type { AnswerCache } from '../cache/answer-cache.js';
import { LruCache } from '../cache/lru-cache.js';
import { RunStats } from '../metrics/run-stats.js';
import type { Model } from '../model/model.js';
import type { BatchEvent, RateLimitEvent, RequestEvent, RetryEvent, TuneEvent } from '../results/events.js';
import type { BatchingSettings } from '../batching/batcher.js';
import type { PromptSettings } from '../prompt/prompt-settings.js';
import type { CallSettings } from '../resilience/call-settings.js';
import { RETRY_STRATEGIES } from '../resilience/retry-delays.js';
import { FORMAT_OPTION_SHAPES, RESPONSE_FORMATS, RESPONSE_FORMAT_NAMES } from '../formats/registry.js';
import { promptDefaults } from '../formats/prompt-defaults.js';
import { DOTTED_KEYS, normalizeKeys, type DottedKey } from './option-keys.js';
import { formatOptionIssues } from './format-issues.js';
import type { CacheSettings, FlowSettings, OutputSettings, ParseSettings, RepairSettings } from './run-settings.js';
import { jsonSchemaOf } from './json-schema-of.js';
import { checkTemplate, checkTemplateIndex } from '../prompt/check-template.js';
import { runCost, type CostSettings } from '../cost/run-cost.js';
import { AUTO_START_CONCURRENCY, DEFAULT_MAX_BATCH_SIZE } from '../tuning/tuning-defaults.js';

/** Numbers may come as strings from the proposal's MAP['batch.size', '50'] or a CLI. */
export const numeric = (schema: z.ZodNumber) =>
  z.preprocess((v) => (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v)) ? Number(v) : v), schema);
export const flag = () => z.preprocess((v) => (v === 'true' ? true : v === 'false' ? false : v), z.boolean());
export const callback = <T>(name: string) => z.custom<T>((v) => typeof v === 'function', { message: `expected a function (${name})` });
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/** Any Standard Schema (zod 3.24+ and 4, valibot, arktype, …). */
export const standardSchema = z.custom<StandardSchemaV1>((v) => isObject(v) && isObject(v['~standard']) && typeof (v['~standard'] as Record<string, unknown>).validate === 'function', {
  message: 'expected a Standard Schema (zod 3.24+ or 4, valibot, arktype, …)',
});

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

/** A number, or `'auto'`: the run finds it (see the tuning docs). */
const orAuto = <S extends z.ZodType>(schema: S) => z.union([z.literal('auto'), schema]);

const batchingShape = {
  batchSize: orAuto(numeric(z.number().int().min(1).max(10_000))).default('auto'),
  /** The quality cap of `batchSize: 'auto'`: batches never hold more records. */
  maxBatchSize: numeric(z.number().int().min(1).max(10_000)).optional(),
  batchTimeoutMs: numeric(z.number().int().min(0)).default(1000),
  maxBatchTokens: numeric(z.number().int().min(1)).optional(),
};

const flowShape = {
  concurrency: orAuto(numeric(z.number().int().min(1).max(1024))).default('auto'),
  ordered: flag().default(true),
  reorderWindow: numeric(z.number().int().min(0)).optional(),
  adaptiveConcurrency: flag().default(false),
  deadlineMs: numeric(z.number().int().min(1)).optional(),
  scheduler: z.custom<SchedulerLike>((v) => isObject(v) && typeof v.schedule === 'function', { message: 'expected an RxJS scheduler' }).optional(),
  signal: z.custom<AbortSignal>((v) => v instanceof AbortSignal, { message: 'expected an AbortSignal' }).optional(),
};

const promptShape = {
  systemPrompt: z.string().optional(),
  promptTemplate: z.string().min(1).optional(),
  instruction: z.string().min(1).optional(),
  vars: z.record(z.string(), z.unknown()).default({}),
  indexBase: numeric(z.number().int().min(0).max(1)).default(1),
  textField: z.string().min(1).optional(),
  toText: callback<(input: unknown) => string>('toText').optional(),
};

const parseShape = {
  responseFormat: z.enum(RESPONSE_FORMAT_NAMES).default('json'),
  ...FORMAT_OPTION_SHAPES,
  indexField: z.string().min(1).default('index'),
  valueField: z.string().min(1).optional(),
  /** Ask the provider to constrain the answer: a JSON schema of the batch, JSON mode, or prompt only. */
  structuredOutput: z.enum(['off', 'json_object', 'json_schema', 'auto']).default('off'),
  /** A Standard Schema each record's value must satisfy; failures become `schema` errors. */
  valueSchema: standardSchema.optional(),
  maxTokens: numeric(z.number().int().min(1)).optional(),
  temperature: numeric(z.number().min(0).max(2)).default(0),
};

const repairShape = {
  /** Run each batch this many times in rotated record orders and keep each record's majority answer. */
  votes: numeric(z.number().int().min(1).max(15)).default(1),
  fallback: z.enum(['single', 'none']).default('single'),
  circuitBreaker: z.union([z.literal(false), circuitBreakerSchema]).default({ failureThreshold: 5, cooldownMs: 30_000 }),
};

const callShape = {
  maxRetries: numeric(z.number().int().min(0).max(100)).default(3),
  retry: retrySchema.default({ strategy: 'exponential-jitter', baseDelayMs: 500, maxDelayMs: 8000 }),
  requestTimeoutMs: numeric(z.number().int().min(1)).default(30_000),
  requestsPerMinute: numeric(z.number().positive()).optional(),
  tokensPerMinute: numeric(z.number().positive()).optional(),
};

const cacheShape = {
  /** `true`: answer identical records once per run and remember answers (in memory); or your own cache. */
  cache: z
    .union([flag(), z.custom<AnswerCache>((v) => isObject(v) && typeof v.get === 'function' && typeof v.set === 'function', { message: 'expected true, false or a cache with get/set' })])
    .default(false),
};

const outputShape = {
  onError: z.enum(['emit', 'throw']).default('emit'),
  onRequest: callback<(event: RequestEvent) => void>('onRequest').optional(),
  onBatch: callback<(event: BatchEvent) => void>('onBatch').optional(),
  onRetry: callback<(event: RetryEvent) => void>('onRetry').optional(),
  onRateLimit: callback<(event: RateLimitEvent) => void>('onRateLimit').optional(),
  onTune: callback<(event: TuneEvent) => void>('onTune').optional(),
  stats: z.custom<RunStats>((v) => v instanceof RunStats, { message: 'expected a RunStats' }).optional(),
};

// Cost (issue 16): what tokens cost and how much the run may spend; worked out in cost/.
const usd = () => numeric(z.number().min(0));
const costShape = {
  /** USD per million tokens, each field over the price table's entry for the model. */
  price: z
    .strictObject({ inputPerMillion: usd().optional(), cachedInputPerMillion: usd().optional(), outputPerMillion: usd().optional(), batchDiscount: numeric(z.number().min(0).lt(1)).optional() })
    .optional(),
  /** Stop sending once the run has spent this much; the records left get the `budget` error. */
  budget: z
    .strictObject({ maxTokens: numeric(z.number().int().min(1)).optional(), maxCostUsd: numeric(z.number().positive()).optional() })
    .refine((b) => b.maxTokens !== undefined || b.maxCostUsd !== undefined, 'expected maxTokens, maxCostUsd or both, e.g. { maxCostUsd: 5 }')
    .optional(),
};

/** The options of each stage, for schemas that take a part of them (the executor, `mlEmbed`). */
export const OPTION_SHAPES = { batching: batchingShape, flow: flowShape, prompt: promptShape, parse: parseShape, repair: repairShape, call: callShape, cache: cacheShape, output: outputShape, cost: costShape } as const;

/** Everything an operator accepts, camelCase; see README's options table. */
export const optionsSchema = z.strictObject({
  ...batchingShape,
  ...flowShape,
  ...promptShape,
  ...parseShape,
  ...repairShape,
  ...callShape,
  ...cacheShape,
  ...outputShape,
  ...costShape,
});

/** Every option name the schema knows, for messages and the CLI. */
export const OPTION_NAMES: readonly string[] = Object.keys(optionsSchema.shape);

type SchemaInput = z.input<typeof optionsSchema>;

/**
 * Options as a user writes them: camelCase names, or the proposal's dotted keys
 * (`'batch.size'`, `'response.value.field'`, …) with string or typed values.
 */
export type PredictOptions = Omit<SchemaInput, 'valueSchema'> & { valueSchema?: StandardSchemaV1 } & { [K in DottedKey]?: string | number };

/** Options after validation, as one flat object: defaults filled in, prompt defaults not yet worked out. */
export type ParsedOptions = z.output<typeof optionsSchema>;

/** Options after validation: one slice per stage, every default filled in. */
export interface ResolvedOptions {
  batching: BatchingSettings;
  flow: FlowSettings;
  prompt: PromptSettings;
  parse: ParseSettings;
  repair: RepairSettings;
  call: CallSettings;
  cache: CacheSettings;
  output: OutputSettings;
  cost: CostSettings;
}

/**
 * Validates options once, at construction, merging the model's defaults under the
 * call's, and resolves them into one slice per stage. Throws a `TypeError` that
 * names each bad option and what was expected.
 *
 * @example
 * resolveOptions({ 'batch.size': '50', valueField: 'sentiment' }).batching.size // → 50
 * resolveOptions({}).batching // → { size: 50, auto: true, … }: the cap, tuned below it while a run goes
 */
export function resolveOptions(options: PredictOptions = {}, model?: Pick<Model, 'defaults'> & { name?: string }, caller = 'mlPredict'): ResolvedOptions {
  const resolved = slice(parseOptions(options, model, caller));
  if (model?.name !== undefined) runCost(model.name, resolved.cost, caller); // a price the budget needs and lacks fails now
  return resolved;
}

/**
 * Validates options as `resolveOptions` does, and returns them flat: what was
 * given (model defaults under the call's) with the schema's defaults, before the
 * prompt defaults are worked out — so `instruction` is still undefined when
 * nobody gave one.
 *
 * @example
 * parseOptions({ 'batch.size': '50' }).batchSize // → 50
 */
export function parseOptions(options: PredictOptions = {}, model?: Pick<Model, 'defaults'>, caller = 'mlPredict'): ParsedOptions {
  const parsed = optionsSchema.safeParse(givenOptions(options, model), { reportInput: true });
  if (!parsed.success) throw new TypeError(formatOptionIssues(caller, parsed.error.issues, [...OPTION_NAMES, ...Object.keys(DOTTED_KEYS)]));
  if (parsed.data.promptTemplate !== undefined) checkTemplate(parsed.data.promptTemplate, caller);
  const { batchSize, maxBatchSize } = parsed.data;
  if (typeof batchSize === 'number' && maxBatchSize !== undefined && batchSize > maxBatchSize) {
    throw new TypeError(`${caller}: invalid options:\n  - "batchSize" (batch.size) is ${batchSize}, over "maxBatchSize" (${maxBatchSize}); lower batchSize, raise maxBatchSize, or give batchSize: 'auto' to stay under the cap`);
  }
  // Answers read by index from batches of several records: the prompt must show each record's index.
  const size = batchSize === 'auto' ? (maxBatchSize ?? DEFAULT_MAX_BATCH_SIZE) : batchSize;
  const format = RESPONSE_FORMATS[parsed.data.responseFormat];
  if (parsed.data.promptTemplate !== undefined && format.indexed && size > 1) checkTemplateIndex(parsed.data.promptTemplate, format.name, caller);
  return parsed.data;
}

/**
 * What was given, before validation and defaults: the model's defaults under the
 * call's options, dotted keys as camelCase, undefined values dropped. For
 * operators that fill in an option only when nobody gave it.
 *
 * @example
 * givenOptions({ 'batch.size': 5 }, { defaults: { valueField: 'label' } }) // → { valueField: 'label', batchSize: 5 }
 */
export function givenOptions(options: PredictOptions = {}, model?: Pick<Model, 'defaults'>): Record<string, unknown> {
  const merged = { ...normalizeKeys(model?.defaults ?? {}), ...normalizeKeys(options as Record<string, unknown>) };
  for (const key of Object.keys(merged)) if (merged[key] === undefined) delete merged[key];
  return merged;
}

function slice(o: ParsedOptions): ResolvedOptions {
  const format = RESPONSE_FORMATS[o.responseFormat];
  const own = Object.fromEntries(Object.keys(format.options).map((key) => [key, (o as Record<string, unknown>)[key]]));
  const defaults = promptDefaults(format, o);
  const hooks = { onRequest: o.onRequest, onRetry: o.onRetry, onRateLimit: o.onRateLimit };
  // 'auto': planning (dry runs, deferred jobs) sees the cap and the starting concurrency; a run tunes from there.
  const size = o.batchSize === 'auto' ? (o.maxBatchSize ?? DEFAULT_MAX_BATCH_SIZE) : o.batchSize;
  const concurrency = o.concurrency === 'auto' ? AUTO_START_CONCURRENCY : o.concurrency;
  return {
    batching: { size, auto: o.batchSize === 'auto', timeoutMs: o.batchTimeoutMs, maxTokens: o.maxBatchTokens, scheduler: o.scheduler },
    flow: {
      concurrency,
      autoConcurrency: o.concurrency === 'auto',
      ordered: o.ordered,
      reorderWindow: o.reorderWindow ?? size * concurrency * 4,
      adaptiveConcurrency: o.adaptiveConcurrency,
      deadlineMs: o.deadlineMs,
      signal: o.signal,
      scheduler: o.scheduler,
    },
    prompt: {
      template: defaults.template,
      systemPrompt: defaults.systemPrompt,
      indexBase: o.indexBase,
      indexField: o.indexField,
      shared: { ...o.vars, ...own, instruction: defaults.instruction, valueField: defaults.viewValueField },
      recordView: format.recordView,
      textField: o.textField,
      toText: o.toText,
    },
    parse: {
      format,
      read: { indexField: o.indexField, valueField: defaults.readValueField, ...own },
      indexBase: o.indexBase,
      structuredOutput: o.structuredOutput,
      valueSchema: o.valueSchema,
      valueJsonSchema: o.valueSchema && jsonSchemaOf(o.valueSchema),
      maxTokens: o.maxTokens,
      temperature: o.temperature,
    },
    repair: { fallback: o.fallback, circuitBreaker: o.circuitBreaker, votes: o.votes },
    call: { maxRetries: o.maxRetries, retry: o.retry, requestTimeoutMs: o.requestTimeoutMs, requestsPerMinute: o.requestsPerMinute, tokensPerMinute: o.tokensPerMinute },
    cache: o.cache === true ? new LruCache() : o.cache === false ? undefined : o.cache,
    output: { onError: o.onError, onBatch: o.onBatch, onTune: o.onTune, stats: o.stats, ...hooks },
    cost: { price: o.price, budget: o.budget },
  };
}
