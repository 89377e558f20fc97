/**
 * The executor's own options schema: call settings, hooks and the options of
 * each function (`concurrency`, `passResult`, `maxFlows`, …) — and nothing an
 * executor would silently ignore. Batching options (`batchSize`, `votes`,
 * `cache`, `responseFormat`, …) belong to batch steps and the operators; given
 * here they fail with a message saying where they go.
 */
import { z } from 'zod';
import type { Model } from '../model/model.js';
import { OPTION_SHAPES, callback, numeric, flag } from '../config/options.js';
import { normalizeKeys } from '../config/option-keys.js';
import { formatOptionIssues } from '../config/format-issues.js';
import type { CallSettings } from '../resilience/call-settings.js';

const { call, output, parse, prompt, flow } = OPTION_SHAPES;

const sharedShape = {
  ...call,
  systemPrompt: prompt.systemPrompt,
  temperature: parse.temperature.optional(),
  maxTokens: parse.maxTokens,
  signal: flow.signal,
  onRequest: output.onRequest,
  onRetry: output.onRetry,
  onRateLimit: output.onRateLimit,
  stats: output.stats,
  onTaskStart: callback('onTaskStart').optional(),
  onTaskEnd: callback('onTaskEnd').optional(),
};

const positiveInt = numeric(z.number().int().min(1)).optional();
const isModel = (v: unknown) => typeof v === 'object' && v !== null && typeof (v as Model).complete === 'function';

/** Each executor function's own options, besides the shared ones. */
const OWN_SHAPES = {
  runTasks: { concurrency: positiveInt },
  runSequence: { passResult: flag().optional() },
  mapChain: {
    maxFlows: positiveInt,
    model: z.custom<Model>(isModel, { message: 'expected a Model' }).optional(),
    onItemStart: callback('onItemStart').optional(),
    onItemEnd: callback('onItemEnd').optional(),
  },
} as const;

export type ExecutorCaller = keyof typeof OWN_SHAPES;

/** Call-level options the executor takes from a model's defaults; the rest of them are written for batches. */
const FROM_MODEL_DEFAULTS = ['temperature', 'maxTokens', ...Object.keys(call)];

/** Options that batch; the executor sends one request per task. */
const BATCHING_ONLY = new Set(['batchSize', 'maxBatchSize', 'batchTimeoutMs', 'maxBatchTokens', 'votes', 'cache', 'responseFormat', 'promptTemplate', 'instruction', 'valueField', 'valueSchema', 'structuredOutput', 'ordered']);

/** The settings one model's calls use in an executor run. */
export interface ExecutorCallSettings {
  call: CallSettings;
  temperature?: number;
  maxTokens?: number;
}

/**
 * Validates an executor function's options at once; throws a `TypeError` naming
 * each bad or unknown option (batching options with a hint where they belong).
 *
 * @example
 * checkExecutorOptions('runTasks', { batchSize: 20 }); // throws: "batchSize" batches records: runTasks sends one request per task …
 */
export function checkExecutorOptions(caller: ExecutorCaller, options: Record<string, unknown>): void {
  const given = normalizeKeys(options);
  const misplaced = Object.keys(given).filter((key) => BATCHING_ONLY.has(key) && given[key] !== undefined);
  if (misplaced.length > 0) {
    const where = caller === 'mapChain' ? 'put them in a batch step ({ batch: { options } })' : 'use mlPredict or a mapChain batch step for batched records';
    throw new TypeError(`${caller}: invalid options:\n${misplaced.map((key) => `  - "${key}" batches records: ${caller} sends one request per task; ${where}`).join('\n')}`);
  }
  const schema = z.strictObject({ ...sharedShape, ...OWN_SHAPES[caller] });
  const parsed = schema.safeParse(dropUndefined(given), { reportInput: true });
  if (!parsed.success) throw new TypeError(formatOptionIssues(caller, parsed.error.issues, Object.keys(schema.shape)));
}

/**
 * The call settings of one model in an executor run: the run's options over the
 * model's call-level defaults.
 *
 * @example
 * executorCallSettings({ maxRetries: 5 }, model, 'runTasks').call.maxRetries // → 5
 */
export function executorCallSettings(options: Record<string, unknown>, model: Model | undefined, caller: string): ExecutorCallSettings {
  const fromModel = Object.fromEntries(Object.entries(normalizeKeys({ ...model?.defaults })).filter(([key]) => FROM_MODEL_DEFAULTS.includes(key)));
  const given = normalizeKeys(options);
  const merged = { ...fromModel, ...dropUndefined(Object.fromEntries(FROM_MODEL_DEFAULTS.map((key) => [key, given[key]]))) };
  const schema = z.strictObject({ ...call, temperature: parse.temperature, maxTokens: parse.maxTokens });
  const parsed = schema.safeParse(merged, { reportInput: true });
  if (!parsed.success) throw new TypeError(formatOptionIssues(caller, parsed.error.issues, Object.keys(schema.shape)));
  const o = parsed.data;
  return {
    call: { maxRetries: o.maxRetries, retry: o.retry, requestTimeoutMs: o.requestTimeoutMs, requestsPerMinute: o.requestsPerMinute, tokensPerMinute: o.tokensPerMinute },
    temperature: o.temperature,
    maxTokens: o.maxTokens,
  };
}

function dropUndefined(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined));
}
