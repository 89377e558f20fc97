/**
 * Self-tuning inside a run, on in-process fake models: the context learned at
 * the first overflow and never overflowed again, cut-off answers shrinking the
 * batch, concurrency growing while it pays (on fake timers), every decision an
 * event and in stats — and explicit numbers behaving exactly as before.
 */
import { createPredictor, ModelCallError, predictAll, RunStats, type CompletionRequest, type Model, type TuneEvent } from '@mlpredict/core';
import { AUTO_START_CONCURRENCY } from '@mlpredict/core/internals';
import { estimateTokens, ruleModel, sentimentOf } from '@mlpredict/testing';

const review = (i: number, filler = 0) =>
  `Review ${i}: ${['great phone', 'it broke, awful', 'arrived on Tuesday'][i % 3]}.${' It came in a plain box with a manual and a cable.'.repeat(filler)}`;
const promptTokens = (request: CompletionRequest) => estimateTokens(request.messages.map((m) => m.content).join('\n'));

/** A rule model whose context holds `windowTokens`: longer prompts get OpenAI's 400, word for word. */
function modelWithContext(windowTokens: number) {
  const inner = ruleModel(sentimentOf);
  const overflows: number[] = [];
  const answered: number[] = [];
  const model: Model = {
    name: 'fake:context',
    runtime: inner.runtime,
    async complete(request) {
      const tokens = promptTokens(request);
      if (tokens > windowTokens) {
        overflows.push(tokens);
        throw new ModelCallError(`This model's maximum context length is ${windowTokens} tokens. However, your messages resulted in ${tokens} tokens. Please reduce the length of the messages.`, {
          kind: 'context_length',
          status: 400,
        });
      }
      answered.push(tokens);
      return inner.complete(request);
    },
  };
  return { model, overflows, answered };
}

const options = { valueField: 'sentiment', batchTimeoutMs: 10 };

it('learns the context at the first overflow: no batch overflows after the first wave, every record right', async () => {
  const { model, overflows, answered } = modelWithContext(2000);
  const records = Array.from({ length: 800 }, (_, i) => review(i, 4)); // ~70 tokens each: 50 of them are ~3,700
  const events: TuneEvent[] = [];
  const stats = new RunStats();
  const results = await predictAll(model, records, { ...options, onTune: (e) => events.push(e), stats });
  expect(results.map((r) => r.value)).toEqual(records.map(sentimentOf));
  // The batches sent before the answer to the first came back, and nothing after.
  expect(overflows.length).toBeGreaterThan(0);
  expect(overflows.length).toBeLessThanOrEqual(AUTO_START_CONCURRENCY);
  expect(Math.max(...answered)).toBeLessThanOrEqual(2000);
  const learned = events.find((e) => e.setting === 'maxBatchTokens' && e.reason === 'context');
  expect(learned?.message).toMatch(/overflowed the 2000-token context/);
  expect(stats.snapshot().tuning).toMatchObject({ batchSize: 50, maxBatchTokens: learned!.to, concurrency: expect.any(Number) });
  // Packed close to the window, not halved blindly: at least 80% of it in the fullest request.
  expect(Math.max(...answered)).toBeGreaterThan(0.8 * 2000);
});

it('keeps explicit numbers exactly: a fixed batch that overflows is halved every time, nothing is learned', async () => {
  const { model, overflows } = modelWithContext(2000);
  const records = Array.from({ length: 800 }, (_, i) => review(i, 4));
  const events: TuneEvent[] = [];
  const stats = new RunStats();
  const results = await predictAll(model, records, { ...options, batchSize: 50, concurrency: 4, onTune: (e) => events.push(e), stats });
  expect(results.every((r) => r.ok)).toBe(true);
  expect(overflows).toHaveLength(800 / 50); // every batch of 50, every time (its halves fit)
  expect(events).toEqual([]);
  expect(stats.snapshot().tuning).toBeUndefined();
});

it('shrinks the batch below what cut-off answers held, then sends nothing that gets cut', async () => {
  const inner = ruleModel(sentimentOf);
  const cut: number[] = [];
  const model: Model = {
    name: 'fake:short-output',
    runtime: inner.runtime,
    async complete(request) {
      const response = await inner.complete(request);
      const items = JSON.parse(response.text) as unknown[];
      if (items.length <= 20) return response;
      cut.push(items.length);
      // The output budget holds 20 answers: the rest is cut mid-item.
      return { text: `${JSON.stringify(items.slice(0, 20)).slice(0, -1)}, {"index": 21, "sent`, finishReason: 'length' };
    },
  };
  const records = Array.from({ length: 600 }, (_, i) => review(i));
  const events: TuneEvent[] = [];
  const results = await predictAll(model, records, { ...options, concurrency: 2, onTune: (e) => events.push(e) });
  expect(results.map((r) => r.value)).toEqual(records.map(sentimentOf));
  expect(events.filter((e) => e.reason === 'truncated')).toEqual([expect.objectContaining({ setting: 'batchSize', from: 50, to: 18 })]);
  // Two cut-off answers in a row to decide, plus what was already in flight and its repairs; then none.
  expect(cut.length).toBeLessThanOrEqual(6);
});

it('an onTune that throws fails the run like any hook', async () => {
  const model = ruleModel(sentimentOf);
  await expect(
    predictAll(model, ['a', 'b'], {
      ...options,
      onTune: () => {
        throw new Error('hook broke');
      },
    }),
  ).rejects.toThrow('hook broke');
});

describe('on fake timers', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  /** Answers after `latencyMs` of fake time, however many records. */
  function slowModel(latencyMs: number) {
    const inner = ruleModel(sentimentOf);
    let inFlight = 0;
    let peak = 0;
    const model: Model = {
      name: 'fake:slow',
      runtime: inner.runtime,
      async complete(request) {
        peak = Math.max(peak, ++inFlight);
        await new Promise((resolve) => setTimeout(resolve, latencyMs));
        inFlight--;
        return inner.complete(request);
      },
    };
    return { model, peak: () => peak };
  }

  it('doubles concurrency each round trip while throughput rises, and the session’s bound follows', async () => {
    const { model, peak } = slowModel(100);
    const events: TuneEvent[] = [];
    const predictor = createPredictor(model, { ...options, onTune: (e) => events.push(e) }, { result: () => undefined });
    expect(predictor.maxInFlight).toBe(2 * 8 * 50 + 50 * 8 * 4); // room to double, plus the reorder window
    for (let i = 0; i < 10_000; i++) predictor.submit(review(i));
    predictor.end();
    await jest.advanceTimersByTimeAsync(5_000);
    expect(predictor.closed).toBe(true);
    const steps = events.filter((e) => e.setting === 'concurrency').map((e) => [e.reason, e.to]);
    expect(steps.slice(0, 4)).toEqual([
      ['start', 8],
      ['throughput', 16],
      ['throughput', 32],
      ['throughput', 64],
    ]);
    expect(peak()).toBe(64);
    expect(predictor.maxInFlight).toBe(64 * 50 + 50 * 8 * 4);
  });

  it('with explicit numbers, runs exactly that many batches at once and decides nothing', async () => {
    const { model, peak } = slowModel(100);
    const events: TuneEvent[] = [];
    const predictor = createPredictor(model, { ...options, batchSize: 20, concurrency: 4, onTune: (e) => events.push(e) }, { result: () => undefined });
    expect(predictor.maxInFlight).toBe(4 * 20 + 20 * 4 * 4);
    for (let i = 0; i < 1000; i++) predictor.submit(review(i));
    predictor.end();
    await jest.advanceTimersByTimeAsync(5_000);
    expect(predictor.closed).toBe(true);
    expect(peak()).toBe(4);
    expect(events).toEqual([]);
  });
});
