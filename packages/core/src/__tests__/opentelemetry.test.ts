/**
 * openTelemetryHooks against the real SDK: spans in an InMemorySpanExporter, metrics
 * read through a MetricReader, after a run over a fake model with a 429 in it.
 */
import { SpanStatusCode, type Tracer } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { MeterProvider, MetricReader, DataPointType, type MetricData } from '@opentelemetry/sdk-metrics';
import { ModelCallError, predictAll } from '@mlpredict/core';
import { openTelemetryHooks } from '../metrics/opentelemetry.js';
import { answerModel, labelAll, upper } from './support/answer-model.js';

class TestReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

function setUp() {
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const reader = new TestReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  return {
    exporter,
    tracer: tracerProvider.getTracer('test'),
    meter: meterProvider.getMeter('test'),
    async metric(name: string): Promise<MetricData | undefined> {
      const { resourceMetrics } = await reader.collect();
      return resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.descriptor.name === name);
    },
  };
}

/** Sum of a counter's points whose attributes include `where`. */
function sum(metric: MetricData | undefined, where: Record<string, unknown> = {}): number {
  if (!metric) return 0;
  return (metric.dataPoints as { value: unknown; attributes: Record<string, unknown> }[])
    .filter((p) => Object.entries(where).every(([k, v]) => p.attributes[k] === v))
    .reduce((total, p) => total + (p.value as number), 0);
}

const spansNamed = (spans: ReadableSpan[], name: string) => spans.filter((s) => s.name === name);

/** Four records in two batches of two; the first request is answered 429 once. */
function modelWith429() {
  const label = labelAll(upper);
  return answerModel((records, request, call) => {
    if (call === 1) throw new ModelCallError('slow down', { kind: 'rate_limited', status: 429, retryAfterMs: 1 });
    return { text: label(records, request, call) as string, finishReason: 'stop', usage: { promptTokens: 10, completionTokens: 4 } };
  });
}

const runOptions = { batchSize: 2, concurrency: 1, batchTimeoutMs: 5, retry: { strategy: 'fixed' as const, baseDelayMs: 1, maxDelayMs: 1 } };

it('makes a span per request and per batch, with ids, attempts, status and tokens', async () => {
  const otel = setUp();
  const results = await predictAll(modelWith429(), ['a', 'b', 'c', 'd'], {
    ...runOptions,
    ...openTelemetryHooks({ tracer: otel.tracer, meter: otel.meter, attributes: { 'mlpredict.pipeline': 'letters' } }),
  });
  expect(results.map((r) => r.value)).toEqual(['A', 'B', 'C', 'D']);

  const spans = otel.exporter.getFinishedSpans();
  const requests = spansNamed(spans, 'mlpredict.request');
  expect(requests).toHaveLength(3);
  const [limited, ...ok] = requests;
  expect(limited!.attributes).toMatchObject({
    'mlpredict.pipeline': 'letters',
    'mlpredict.batch.id': 0,
    'mlpredict.request.records': 2,
    'mlpredict.request.attempt': 1,
    'mlpredict.request.ok': false,
    'http.response.status_code': 429,
    'error.type': 'rate_limited',
  });
  expect(limited!.status.code).toBe(SpanStatusCode.ERROR);
  expect(limited!.attributes['gen_ai.usage.input_tokens']).toBeUndefined();

  expect(ok.map((s) => [s.attributes['mlpredict.batch.id'], s.attributes['mlpredict.request.attempt']])).toEqual([
    [0, 2],
    [1, 1],
  ]);
  for (const span of ok) {
    expect(span.status.code).not.toBe(SpanStatusCode.ERROR);
    expect(span.attributes).toMatchObject({ 'mlpredict.request.ok': true, 'gen_ai.usage.input_tokens': 10, 'gen_ai.usage.output_tokens': 4, 'mlpredict.pipeline': 'letters' });
    expect(span.attributes['error.type']).toBeUndefined();
  }

  const batches = spansNamed(spans, 'mlpredict.batch');
  expect(batches.map((s) => [s.attributes['mlpredict.batch.id'], s.attributes['mlpredict.batch.records'], s.attributes['mlpredict.batch.requests']])).toEqual([
    [0, 2, 2],
    [1, 2, 1],
  ]);
});

it('counts requests, retries, 429s and tokens, and records request latency', async () => {
  const otel = setUp();
  await predictAll(modelWith429(), ['a', 'b', 'c', 'd'], {
    ...runOptions,
    ...openTelemetryHooks({ tracer: otel.tracer, meter: otel.meter, attributes: { 'mlpredict.pipeline': 'letters' } }),
  });

  const requests = await otel.metric('mlpredict.requests');
  expect(sum(requests)).toBe(3);
  expect(sum(requests, { 'mlpredict.request.ok': true })).toBe(2);
  expect(sum(requests, { 'mlpredict.request.ok': false, 'error.type': 'rate_limited' })).toBe(1);
  expect(sum(requests, { 'mlpredict.pipeline': 'letters' })).toBe(3);
  expect(sum(await otel.metric('mlpredict.retries'), { 'error.type': 'rate_limited' })).toBe(1);
  expect(sum(await otel.metric('mlpredict.rate_limited'))).toBe(1);
  expect(sum(await otel.metric('mlpredict.rate_limit.pauses'))).toBe(1);

  const tokens = await otel.metric('mlpredict.tokens');
  expect(sum(tokens, { 'gen_ai.token.type': 'input' })).toBe(20);
  expect(sum(tokens, { 'gen_ai.token.type': 'output' })).toBe(8);
  expect(sum(await otel.metric('mlpredict.records'), { 'mlpredict.outcome': 'value' })).toBe(4);

  const duration = await otel.metric('mlpredict.request.duration');
  expect(duration?.dataPointType).toBe(DataPointType.HISTOGRAM);
  expect(duration?.descriptor.unit).toBe('ms');
  const counts = (duration!.dataPoints as { value: { count: number } }[]).map((p) => p.value.count);
  expect(counts.reduce((a, b) => a + b, 0)).toBe(3);
});

it('marks failed batches and counts failed records', async () => {
  const otel = setUp();
  const model = answerModel(() => {
    throw new ModelCallError('bad request', { kind: 'http', status: 400 });
  });
  const results = await predictAll(model, ['a', 'b'], { ...runOptions, ...openTelemetryHooks({ tracer: otel.tracer, meter: otel.meter }) });
  expect(results.every((r) => r.error?.code === 'http')).toBe(true);

  const [request] = spansNamed(otel.exporter.getFinishedSpans(), 'mlpredict.request');
  expect(request!.attributes).toMatchObject({ 'http.response.status_code': 400, 'error.type': 'http' });
  expect(request!.status).toEqual({ code: SpanStatusCode.ERROR, message: 'http (HTTP 400)' });
  const [batch] = spansNamed(otel.exporter.getFinishedSpans(), 'mlpredict.batch');
  expect(batch!.status.code).toBe(SpanStatusCode.ERROR);
  expect(batch!.attributes['mlpredict.batch.errors']).toBe(2);
  expect(sum(await otel.metric('mlpredict.records'), { 'mlpredict.outcome': 'error' })).toBe(2);
  expect(sum(await otel.metric('mlpredict.retries'))).toBe(0);
});

it('is a no-op without a registered SDK', async () => {
  const hooks = openTelemetryHooks();
  const results = await predictAll(modelWith429(), ['a', 'b'], { ...runOptions, ...hooks });
  expect(results.map((r) => r.value)).toEqual(['A', 'B']);
});

it('never lets a telemetry failure into the run', async () => {
  const broken = {
    startSpan() {
      throw new Error('exporter exploded');
    },
  } as unknown as Tracer;
  const model = answerModel(labelAll(upper));
  const results = await predictAll(model, ['a', 'b', 'c'], { ...runOptions, ...openTelemetryHooks({ tracer: broken }) });
  expect(results.map((r) => r.value)).toEqual(['A', 'B', 'C']);
  // A hook that threw inside the retry owner would have been taken for a network error and retried.
  expect(model.requests).toHaveLength(2);
  expect(results.every((r) => r.meta.attempts === 1)).toBe(true);
});
