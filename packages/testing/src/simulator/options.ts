/**
 * The simulator's options, their defaults, and the checks that turn a typo
 * (`defects: { fences: 1 }`) into an error rather than a silently clean run.
 */
import type { AccuracyCurve } from '../accuracy-curve.js';
import { DEFECT_NAMES, type DefectRates } from '../answer-defects.js';
import { sentimentOf } from '../sentiment.js';
import { BATCH_SETTING_NAMES, DEFAULT_BATCH_SETTINGS, type BatchSettings, type ResolvedBatchSettings } from './batch-settings.js';
import { FAULT_NAMES, type FaultRates } from './faults.js';
import type { RateLimit } from './rate-window.js';
import type { PromptCacheSettings } from './prompt-cache.js';

export interface SimulatorOptions {
  /** Port to listen on (default 0: any free port). */
  port?: number;
  /** Interface to listen on (default `127.0.0.1`). */
  host?: string;
  /** Seeds every random draw (defects, faults, latency); default 1. */
  seed?: number;
  /** Delay before each answer: a fixed number of ms or a `[min, max]` range (default 0). */
  latencyMs?: number | [number, number];
  /** How a record is answered (default {@link sentimentOf}). */
  label?: (text: string) => unknown;
  /** Probability (0..1) per chat request of each defect. */
  defects?: DefectRates;
  /** A server-side sliding-window limit; over it → 429 with retry hints. */
  rateLimit?: RateLimit;
  /** At most this many requests in progress; over it → 429 with `retry-after-ms: maxInFlightRetryAfterMs`. */
  maxInFlight?: number;
  /** The `retry-after-ms` sent when `maxInFlight` refuses a request (default 50). */
  maxInFlightRetryAfterMs?: number;
  /** Probability (0..1) per request of each fault. */
  faults?: FaultRates;
  /** Embedding inputs allowed in one request (default 2048); more → 400. */
  maxEmbeddingInputs?: number;
  /** Length of embedding vectors when the request sets no `dimensions` (default 8). */
  embeddingDimensions?: number;
  /** The model id `GET /v1/models` lists (default `mlpredict-sim`); answers echo the requested one. */
  model?: string;
  /** When set, requests must carry `Authorization: Bearer <apiKey>` (else 401). */
  apiKey?: string;
  /** When set, chat and embeddings requests for any other model get OpenAI's 404 `model_not_found`. */
  knownModels?: string[];
  /**
   * Chat latency per token, added to `latencyMs`: a token-bound server is
   * `{ latencyMs: 100, latencyPerTokenMs: { completion: 2 } }`. Completion tokens
   * are those of the answer written (default 0 each).
   */
  latencyPerTokenMs?: { prompt?: number; completion?: number };
  /**
   * The model's context window in tokens: a chat request whose prompt estimate
   * plus `max_tokens` is over it gets OpenAI's 400 `context_length_exceeded`.
   * Default: no limit.
   */
  contextTokens?: number;
  /**
   * Opt-in: each record is answered wrongly with probability
   * 1 − accuracy(batch size, position); see {@link AccuracyCurve} and `expectedAccuracy`.
   */
  accuracy?: AccuracyCurve;
  /** How the Batch API (`/v1/batches`) behaves; see {@link BatchSettings}. */
  batch?: BatchSettings;
  /**
   * Prefix caching of chat prompts, as OpenAI does it: `true` for its numbers
   * (prompts of 1,024 tokens or more, cached in blocks of 128), or your own.
   * Answers then report `usage.prompt_tokens_details.cached_tokens`. Default: off.
   */
  promptCache?: boolean | PromptCacheSettings;
}

/** Options after defaults. */
export interface ResolvedSimulatorOptions
  extends Required<Omit<SimulatorOptions, 'rateLimit' | 'maxInFlight' | 'apiKey' | 'knownModels' | 'latencyMs' | 'latencyPerTokenMs' | 'contextTokens' | 'accuracy' | 'batch' | 'promptCache'>> {
  latencyMs: [number, number];
  rateLimit?: RateLimit;
  maxInFlight?: number;
  apiKey?: string;
  knownModels?: string[];
  latencyPerTokenMs: { prompt: number; completion: number };
  contextTokens?: number;
  accuracy?: AccuracyCurve;
  batch: ResolvedBatchSettings;
  promptCache?: PromptCacheSettings;
}

/** The options `configure()` may change: everything but where it listens. */
export type SimulatorSettings = Omit<SimulatorOptions, 'port' | 'host'>;

/**
 * Fills in defaults and checks every value, naming the option that is wrong.
 *
 * @example
 * resolveSimulatorOptions({ latencyMs: 100 }).latencyMs; // → [100, 100]
 * resolveSimulatorOptions({ defects: { fences: 1 } });   // throws: unknown defect "fences"
 */
export function resolveSimulatorOptions(options: SimulatorOptions = {}): ResolvedSimulatorOptions {
  checkOptions(options);
  const latency = options.latencyMs ?? 0;
  return {
    port: options.port ?? 0,
    host: options.host ?? '127.0.0.1',
    seed: options.seed ?? 1,
    latencyMs: typeof latency === 'number' ? [latency, latency] : [latency[0], latency[1]],
    label: options.label ?? sentimentOf,
    defects: { ...options.defects },
    rateLimit: options.rateLimit && { ...options.rateLimit },
    maxInFlight: options.maxInFlight,
    maxInFlightRetryAfterMs: options.maxInFlightRetryAfterMs ?? 50,
    faults: { ...options.faults },
    maxEmbeddingInputs: options.maxEmbeddingInputs ?? 2048,
    embeddingDimensions: options.embeddingDimensions ?? 8,
    model: options.model ?? 'mlpredict-sim',
    apiKey: options.apiKey,
    knownModels: options.knownModels && [...options.knownModels],
    latencyPerTokenMs: { prompt: options.latencyPerTokenMs?.prompt ?? 0, completion: options.latencyPerTokenMs?.completion ?? 0 },
    contextTokens: options.contextTokens,
    accuracy: options.accuracy && { ...options.accuracy },
    batch: { ...DEFAULT_BATCH_SETTINGS, ...definedEntries(options.batch ?? {}) },
    promptCache: options.promptCache === true ? {} : options.promptCache || undefined,
  };
}

function definedEntries<T extends object>(object: T): Partial<T> {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined)) as Partial<T>;
}

function checkOptions(options: SimulatorOptions): void {
  const fail = (message: string): never => {
    throw new TypeError(`simulator: ${message}`);
  };
  const nonNegative = (name: string, value: unknown) => {
    if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value) || value < 0)) fail(`${name} must be a number ≥ 0, got ${String(value)}`);
  };
  const positiveInteger = (name: string, value: unknown) => {
    if (value !== undefined && (typeof value !== 'number' || !Number.isInteger(value) || value < 1)) fail(`${name} must be an integer ≥ 1, got ${String(value)}`);
  };
  const probabilities = (group: string, rates: object | undefined, names: readonly string[]) => {
    for (const [name, rate] of Object.entries(rates ?? {})) {
      if (!names.includes(name)) fail(`unknown ${group} "${name}"; expected one of ${names.join(', ')}`);
      if (rate !== undefined && (typeof rate !== 'number' || !(rate >= 0 && rate <= 1))) fail(`${group}s.${name} must be a probability from 0 to 1, got ${String(rate)}`);
    }
  };

  if (options.port !== undefined && (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535)) fail(`port must be an integer from 0 to 65535, got ${options.port}`);
  if (options.seed !== undefined && !Number.isInteger(options.seed)) fail(`seed must be an integer, got ${options.seed}`);
  const latency = options.latencyMs;
  if (Array.isArray(latency)) {
    if (latency.length !== 2) fail('latencyMs as a range must be [min, max]');
    nonNegative('latencyMs[0]', latency[0]);
    nonNegative('latencyMs[1]', latency[1]);
    if (latency[0] > latency[1]) fail(`latencyMs range [${latency[0]}, ${latency[1]}] has min > max`);
  } else nonNegative('latencyMs', latency);
  if (options.label !== undefined && typeof options.label !== 'function') fail('label must be a function (text) => answer');
  probabilities('defect', options.defects, DEFECT_NAMES);
  const { slowMs, retryAfterMs, ...faultRates } = options.faults ?? {};
  probabilities('fault', faultRates, FAULT_NAMES);
  nonNegative('faults.slowMs', slowMs);
  nonNegative('faults.retryAfterMs', retryAfterMs);
  if (options.rateLimit !== undefined) {
    const { requests, tokens, windowMs } = options.rateLimit;
    if (typeof windowMs !== 'number' || !(windowMs > 0)) fail(`rateLimit.windowMs must be a number > 0, got ${String(windowMs)}`);
    positiveInteger('rateLimit.requests', requests);
    positiveInteger('rateLimit.tokens', tokens);
    if (requests === undefined && tokens === undefined) fail('rateLimit needs requests, tokens or both');
  }
  positiveInteger('maxInFlight', options.maxInFlight);
  if (options.knownModels !== undefined && !(Array.isArray(options.knownModels) && options.knownModels.every((m) => typeof m === 'string'))) fail('knownModels must be an array of model ids');
  nonNegative('maxInFlightRetryAfterMs', options.maxInFlightRetryAfterMs);
  positiveInteger('maxEmbeddingInputs', options.maxEmbeddingInputs);
  positiveInteger('embeddingDimensions', options.embeddingDimensions);

  const knownKeys = (name: string, value: object | undefined, keys: readonly string[]) => {
    if (value === undefined) return;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) fail(`${name} must be an object`);
    for (const key of Object.keys(value)) if (!keys.includes(key)) fail(`unknown ${name} setting "${key}"; expected one of ${keys.join(', ')}`);
  };
  const probability = (name: string, value: unknown) => {
    if (value !== undefined && (typeof value !== 'number' || !(value >= 0 && value <= 1))) fail(`${name} must be a number from 0 to 1, got ${String(value)}`);
  };
  knownKeys('latencyPerTokenMs', options.latencyPerTokenMs, ['prompt', 'completion']);
  nonNegative('latencyPerTokenMs.prompt', options.latencyPerTokenMs?.prompt);
  nonNegative('latencyPerTokenMs.completion', options.latencyPerTokenMs?.completion);
  positiveInteger('contextTokens', options.contextTokens);

  const accuracy = options.accuracy;
  knownKeys('accuracy', accuracy, ['atBatchSize1', 'perRecord', 'perPosition', 'floor']);
  for (const key of ['atBatchSize1', 'perRecord', 'perPosition', 'floor'] as const) probability(`accuracy.${key}`, accuracy?.[key]);
  if (accuracy !== undefined && (accuracy.floor ?? 0) > (accuracy.atBatchSize1 ?? 1)) {
    fail(`accuracy.floor (${accuracy.floor}) is above accuracy.atBatchSize1 (${accuracy.atBatchSize1 ?? 1}); the floor must be the lowest accuracy`);
  }

  if (options.promptCache !== undefined && typeof options.promptCache !== 'boolean') {
    knownKeys('promptCache', options.promptCache, ['minTokens', 'blockTokens']);
    positiveInteger('promptCache.minTokens', options.promptCache.minTokens);
    positiveInteger('promptCache.blockTokens', options.promptCache.blockTokens);
  }

  const batch = options.batch;
  knownKeys('batch', batch, BATCH_SETTING_NAMES);
  for (const key of ['validationMs', 'completionDelayMs', 'finalizingMs', 'cancellingMs'] as const) nonNegative(`batch.${key}`, batch?.[key]);
  if (batch?.expireAfterMs !== undefined && (typeof batch.expireAfterMs !== 'number' || !(batch.expireAfterMs > 0))) fail(`batch.expireAfterMs must be a number > 0, got ${String(batch.expireAfterMs)}`);
  probability('batch.failedLineRate', batch?.failedLineRate);
  positiveInteger('batch.maxRequestsPerFile', batch?.maxRequestsPerFile);
  positiveInteger('batch.maxFileBytes', batch?.maxFileBytes);
  if (batch?.clock !== undefined && typeof batch.clock !== 'function') fail('batch.clock must be a function () => epoch ms');
  if (batch?.outputOrder !== undefined && batch.outputOrder !== 'shuffled' && batch.outputOrder !== 'input') fail(`batch.outputOrder must be 'shuffled' or 'input', got ${String(batch.outputOrder)}`);
}
