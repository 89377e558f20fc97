/**
 * OpenTelemetry for a run: the run's event hooks turned into a span per request
 * (and per batch) and a handful of meters, through `@opentelemetry/api` only.
 *
 * `@opentelemetry/api` is an optional peer dependency: install it
 * (`pnpm add @opentelemetry/api`) to use this module. Without a registered SDK the
 * API is a no-op, so the hooks cost next to nothing until you set one up.
 */
import { SpanKind, SpanStatusCode, diag, metrics, trace, type Attributes, type Counter, type Histogram, type Meter, type Tracer } from '@opentelemetry/api';
import type { BatchEvent, RateLimitEvent, RequestEvent, RetryEvent } from '../results/events.js';

/** The instrumentation scope name spans and meters are created under by default. */
export const INSTRUMENTATION_NAME = '@mlpredict/core';

export interface OpenTelemetryOptions {
  /** Default: `trace.getTracer('@mlpredict/core')` from the globally registered provider. */
  tracer?: Tracer;
  /** Default: `metrics.getMeter('@mlpredict/core')` from the globally registered provider. */
  meter?: Meter;
  /** Added to every span and every metric point, e.g. `{ 'mlpredict.pipeline': 'reviews' }`. */
  attributes?: Attributes;
}

/** The run options the hooks fill in; spread them into `mlPredict`'s options. */
export interface OpenTelemetryHooks {
  onRequest(event: RequestEvent): void;
  onBatch(event: BatchEvent): void;
  onRetry(event: RetryEvent): void;
  onRateLimit(event: RateLimitEvent): void;
}

interface Instruments {
  tracer: Tracer;
  requests: Counter;
  retries: Counter;
  rateLimited: Counter;
  rateLimitPauses: Counter;
  tokens: Counter;
  records: Counter;
  duration: Histogram;
}

/**
 * Option hooks that trace and meter a run through `@opentelemetry/api`.
 *
 * Use it to see a pipeline in your tracing and metrics backend: every HTTP request
 * becomes a `mlpredict.request` span (batch id, records, attempt, status, tokens;
 * error status when it failed), every settled batch a `mlpredict.batch` span, and
 * these instruments are fed:
 *
 * | instrument | kind | attributes |
 * |---|---|---|
 * | `mlpredict.requests` | counter | `mlpredict.request.ok`, `error.type` |
 * | `mlpredict.request.duration` | histogram, ms | `mlpredict.request.ok` |
 * | `mlpredict.retries` | counter | `error.type` |
 * | `mlpredict.rate_limited` | counter (429 answers) | |
 * | `mlpredict.rate_limit.pauses` | counter (pauses of every worker) | |
 * | `mlpredict.tokens` | counter | `gen_ai.token.type` (`input` / `output`) |
 * | `mlpredict.records` | counter | `mlpredict.outcome` (`value` / `error`) |
 *
 * Spans are made when the event arrives, with their start time set back by the
 * measured latency, so they need no context propagation and sit side by side
 * under whatever span is active. The tracer and meter are looked up at the first
 * event, so the hooks may be made before the SDK is registered. A hook never
 * throws into the run: a telemetry failure is reported through `diag`.
 *
 * `mlEmbed`, `runTasks` and `mapChain` take no `onBatch`: pass them
 * `{ onRequest, onRetry, onRateLimit }` only.
 *
 * @example
 * import { mlPredict } from '@mlpredict/core';
 * import { openTelemetryHooks } from '@mlpredict/core/opentelemetry';
 *
 * reviews$.pipe(mlPredict(model, { valueField: 'sentiment', ...openTelemetryHooks({ attributes: { 'mlpredict.pipeline': 'reviews' } }) }));
 *
 * @param options a tracer, a meter, and attributes for everything recorded
 * @returns `onRequest`, `onBatch`, `onRetry` and `onRateLimit` hooks
 * @see RunStats for the same counts in process
 */
export function openTelemetryHooks(options: OpenTelemetryOptions = {}): OpenTelemetryHooks {
  const base: Attributes = { ...options.attributes };
  let instruments: Instruments | undefined;
  const get = (): Instruments => (instruments ??= createInstruments(options));
  const guarded =
    <E>(name: string, fn: (event: E, i: Instruments) => void) =>
    (event: E): void => {
      try {
        fn(event, get());
      } catch (error) {
        diag.error(`mlpredict openTelemetryHooks ${name} failed`, error);
      }
    };

  return {
    onRequest: guarded('onRequest', (e: RequestEvent, i) => {
      const end = Date.now();
      const failure = e.ok ? undefined : (e.errorKind ?? 'error');
      const span = i.tracer.startSpan('mlpredict.request', {
        kind: SpanKind.CLIENT,
        startTime: end - e.latencyMs,
        attributes: {
          ...base,
          'mlpredict.batch.id': e.batchId,
          'mlpredict.request.records': e.records,
          'mlpredict.request.attempt': e.attempt,
          'mlpredict.request.ok': e.ok,
          ...(e.status !== undefined && { 'http.response.status_code': e.status }),
          ...(failure !== undefined && { 'error.type': failure }),
          ...(e.usage && { 'gen_ai.usage.input_tokens': e.usage.promptTokens, 'gen_ai.usage.output_tokens': e.usage.completionTokens }),
        },
      });
      if (failure !== undefined) span.setStatus({ code: SpanStatusCode.ERROR, message: e.status === undefined ? failure : `${failure} (HTTP ${e.status})` });
      span.end(end);

      const outcome: Attributes = { ...base, 'mlpredict.request.ok': e.ok, ...(failure !== undefined && { 'error.type': failure }) };
      i.requests.add(1, outcome);
      i.duration.record(e.latencyMs, { ...base, 'mlpredict.request.ok': e.ok });
      if (e.status === 429 || e.errorKind === 'rate_limited') i.rateLimited.add(1, base);
      if (e.usage) {
        i.tokens.add(e.usage.promptTokens, { ...base, 'gen_ai.token.type': 'input' });
        i.tokens.add(e.usage.completionTokens, { ...base, 'gen_ai.token.type': 'output' });
      }
    }),

    onBatch: guarded('onBatch', (e: BatchEvent, i) => {
      const end = Date.now();
      const span = i.tracer.startSpan('mlpredict.batch', {
        kind: SpanKind.INTERNAL,
        startTime: end - e.latencyMs,
        attributes: {
          ...base,
          'mlpredict.batch.id': e.batchId,
          'mlpredict.batch.records': e.records,
          'mlpredict.batch.requests': e.requests,
          'mlpredict.batch.errors': e.errors,
          'mlpredict.batch.repaired': e.repaired,
          'mlpredict.batch.warnings': e.warnings.length,
          'gen_ai.usage.input_tokens': e.usage.promptTokens,
          'gen_ai.usage.output_tokens': e.usage.completionTokens,
        },
      });
      if (e.errors > 0) span.setStatus({ code: SpanStatusCode.ERROR, message: `${e.errors} of ${e.records} records ended with an error` });
      span.end(end);
      if (e.records > e.errors) i.records.add(e.records - e.errors, { ...base, 'mlpredict.outcome': 'value' });
      if (e.errors > 0) i.records.add(e.errors, { ...base, 'mlpredict.outcome': 'error' });
    }),

    onRetry: guarded('onRetry', (e: RetryEvent, i) => {
      const kind = (e.error as { kind?: unknown }).kind;
      i.retries.add(1, { ...base, 'error.type': typeof kind === 'string' ? kind : e.error.name });
    }),

    onRateLimit: guarded('onRateLimit', (_e: RateLimitEvent, i) => {
      i.rateLimitPauses.add(1, base);
    }),
  };
}

function createInstruments(options: OpenTelemetryOptions): Instruments {
  const tracer = options.tracer ?? trace.getTracer(INSTRUMENTATION_NAME);
  const meter = options.meter ?? metrics.getMeter(INSTRUMENTATION_NAME);
  return {
    tracer,
    requests: meter.createCounter('mlpredict.requests', { description: 'Model requests sent, retries and repairs included', unit: '{request}' }),
    retries: meter.createCounter('mlpredict.retries', { description: 'Failed attempts that were retried', unit: '{retry}' }),
    rateLimited: meter.createCounter('mlpredict.rate_limited', { description: 'Requests answered 429 (rate limited)', unit: '{request}' }),
    rateLimitPauses: meter.createCounter('mlpredict.rate_limit.pauses', { description: 'Times a 429 paused every worker on the model', unit: '{pause}' }),
    tokens: meter.createCounter('mlpredict.tokens', { description: 'Tokens the provider reported, by gen_ai.token.type', unit: '{token}' }),
    records: meter.createCounter('mlpredict.records', { description: 'Records settled, by mlpredict.outcome', unit: '{record}' }),
    duration: meter.createHistogram('mlpredict.request.duration', { description: 'Latency of one model request', unit: 'ms' }),
  };
}
