/**
 * The simulator's options, their defaults, and the checks that turn a typo
 * (`defects: { fences: 1 }`) into an error rather than a silently clean run.
 */
import { DEFECT_NAMES, type DefectRates } from '../answer-defects.js';
import { sentimentOf } from '../sentiment.js';
import { FAULT_NAMES, type FaultRates } from './faults.js';
import type { RateLimit } from './rate-window.js';

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
}

/** Options after defaults. */
export interface ResolvedSimulatorOptions extends Required<Omit<SimulatorOptions, 'rateLimit' | 'maxInFlight' | 'apiKey' | 'latencyMs'>> {
  latencyMs: [number, number];
  rateLimit?: RateLimit;
  maxInFlight?: number;
  apiKey?: string;
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
  };
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
  nonNegative('maxInFlightRetryAfterMs', options.maxInFlightRetryAfterMs);
  positiveInteger('maxEmbeddingInputs', options.maxEmbeddingInputs);
  positiveInteger('embeddingDimensions', options.embeddingDimensions);
}
