/**
 * The self-tuning controllers alone, on a fake clock and counts: no server, no
 * wall time. What each signal makes them do, and what it must not.
 */
import fc from 'fast-check';
import { RunStats } from '@mlpredict/core';
import { Batcher, BatchSizeTuner, ConcurrencyTuner, cutBatch, readContextOverflow, type AnswerSample } from '@mlpredict/core/internals';

describe('ConcurrencyTuner', () => {
  let now = 0;
  const tuner = (start = 4, max = 64) => new ConcurrencyTuner({ start, max, now: () => now });
  /** `count` requests of `records` each end after `latencyMs`; the last decision made, if any. */
  const round = (t: ConcurrencyTuner, count: number, latencyMs: number, busy = true, records = 50) => {
    now += latencyMs;
    let decision;
    for (let i = 0; i < count; i++) decision = t.onRequest({ ok: true, latencyMs, records }, busy) ?? decision;
    return decision;
  };
  beforeEach(() => (now = 0));

  it('doubles each round while the records answered per second rise, up to its max', () => {
    const t = tuner(4, 20);
    expect(round(t, 4, 100)).toMatchObject({ from: 4, to: 8, reason: 'throughput' });
    expect(round(t, 8, 100)).toMatchObject({ from: 8, to: 16, reason: 'throughput' });
    expect(round(t, 16, 100)).toMatchObject({ from: 16, to: 20 });
    expect(round(t, 20, 100)).toBeUndefined(); // at its max
    expect(t.limit).toBe(20);
  });

  it('settles at the best level when doubling stops paying for two rounds', () => {
    const t = tuner(8);
    round(t, 8, 100); // 4,000 records/s → 16
    round(t, 16, 100); // 8,000 → 32
    expect(t.limit).toBe(32);
    // The server is saturated: 32 in flight take twice as long, so no more records per second.
    expect(round(t, 32, 200)).toBeUndefined();
    expect(round(t, 32, 200)).toMatchObject({ from: 32, to: 16, reason: 'plateau' });
    expect(t.phase).toBe('steady');
  });

  it('grows by one per round once steady, while latency holds', () => {
    const t = tuner(8);
    t.onRequest({ ok: false, errorKind: 'rate_limited', latencyMs: 100, records: 50 }, true); // → 4, steady
    expect(t.limit).toBe(4);
    now += 1000;
    expect(round(t, 4, 100)).toMatchObject({ from: 4, to: 5, reason: 'throughput' });
    expect(round(t, 5, 100)).toMatchObject({ from: 5, to: 6 });
    expect(round(t, 6, 140)).toMatchObject({ from: 6, to: 7 }); // 1.4× the best: holds
    expect(round(t, 7, 180)).toBeUndefined(); // 1.8×: no growth
  });

  it('halves on a 429 or a timeout, once per round trip, not once per refusal', () => {
    const t = tuner(32);
    round(t, 32, 100);
    expect(t.limit).toBe(64);
    const refused = { ok: false, errorKind: 'rate_limited', latencyMs: 100, records: 50 };
    expect(t.onRequest(refused, true)).toMatchObject({ from: 64, to: 32, reason: 'rate_limited' });
    // The rest of the same wave: one signal, not twenty.
    for (let i = 0; i < 20; i++) expect(t.onRequest(refused, true)).toBeUndefined();
    expect(t.limit).toBe(32);
    now += 150;
    expect(t.onRequest({ ok: false, errorKind: 'timeout', latencyMs: 30_000, records: 50 }, true)).toMatchObject({ from: 32, to: 16, reason: 'timeout' });
    // Other failures say nothing about how many may be in flight.
    now += 60_000;
    expect(t.onRequest({ ok: false, errorKind: 'http', latencyMs: 5, records: 50 }, true)).toBeUndefined();
    expect(t.onRequest({ ok: false, errorKind: 'context_length', latencyMs: 5, records: 50 }, true)).toBeUndefined();
    expect(t.limit).toBe(16);
  });

  it('backs off when latency more than doubles', () => {
    const t = tuner(8);
    round(t, 8, 100); // → 16, best latency 100
    expect(round(t, 16, 250)).toMatchObject({ from: 16, to: 8, reason: 'latency' });
  });

  it('decides nothing in rounds where no batch waited for a slot (the input held the run back)', () => {
    const t = tuner(4);
    expect(round(t, 4, 100, false)).toBeUndefined();
    expect(round(t, 4, 100, false)).toBeUndefined();
    expect(t.limit).toBe(4);
    expect(round(t, 4, 100, true)).toMatchObject({ to: 8 });
  });

  it('never leaves [min, max]', () => {
    const t = new ConcurrencyTuner({ start: 100, max: 3, min: 2, now: () => now });
    expect(t.limit).toBe(3);
    for (let i = 0; i < 5; i++) {
      now += 1000;
      t.onRequest({ ok: false, errorKind: 'rate_limited', latencyMs: 10, records: 1 }, true);
    }
    expect(t.limit).toBe(2);
  });
});

describe('BatchSizeTuner', () => {
  const answered = (records: number, extra: Partial<AnswerSample> = {}): AnswerSample => ({
    records,
    recordTokens: records * 20,
    promptTokens: records * 20 + 100,
    outcome: 'answered',
    answered: records,
    ...extra,
  });

  it('starts at the cap', () => {
    const t = new BatchSizeTuner({ cap: 50 });
    expect(t.size).toBe(50);
    expect(t.maxTokens).toBeUndefined();
  });

  it('learns the token budget from the server’s numbers at the first overflow, and never raises it past what overflowed', () => {
    const t = new BatchSizeTuner({ cap: 200 });
    const message = "This model's maximum context length is 3000 tokens. However, your messages resulted in 4100 tokens. Please reduce the length of the messages.";
    const decisions = t.onAnswer({ records: 200, recordTokens: 4000, promptTokens: 4100, outcome: 'overflow', answered: 0, message });
    // ((3000 − 0) × 4100/4100 − 100 of instructions) × 0.95
    expect(decisions).toEqual([expect.objectContaining({ setting: 'maxBatchTokens', to: 2755, reason: 'context' })]);
    expect(t.maxTokens).toBe(2755);
    // A batch at the budget fits; the budget stands (the server said the window).
    expect(t.onAnswer(answered(130, { recordTokens: 2750, promptTokens: 2850 }))).toEqual([]);
    expect(t.maxTokens).toBe(2755);
  });

  it('reads the server’s token count, so a tokenizer unlike our estimate still fits', () => {
    const t = new BatchSizeTuner({ cap: 100, completionTokens: 100 });
    // The server counts twice what we estimated.
    const message = "This model's maximum context length is 2000 tokens. However, you requested 2500 tokens (2400 in the messages, 100 in the completion).";
    t.onAnswer({ records: 100, recordTokens: 1100, promptTokens: 1200, outcome: 'overflow', answered: 0, message });
    expect(t.maxTokens).toBe(Math.floor(((2000 - 100) / 2 - 100) * 0.95)); // 807
  });

  it('without numbers, searches between what fitted and what overflowed, never sending a known overflow', () => {
    const t = new BatchSizeTuner({ cap: 100 });
    t.onAnswer({ records: 100, recordTokens: 2000, promptTokens: 2100, outcome: 'overflow', answered: 0, message: 'prompt is too long' });
    expect(t.maxTokens).toBe(1000);
    t.onAnswer(answered(50, { recordTokens: 1000, promptTokens: 1100 }));
    expect(t.maxTokens).toBe(1500); // halfway to 2000
    t.onAnswer({ records: 75, recordTokens: 1500, promptTokens: 1600, outcome: 'overflow', answered: 0 });
    expect(t.maxTokens).toBe(1250);
    t.onAnswer(answered(62, { recordTokens: 1240, promptTokens: 1340 }));
    expect(t.maxTokens).toBe(1370);
    expect(t.maxTokens).toBeLessThan(1500);
  });

  it('with maxPromptTokens, bounds batches from the start and leaves room for the instructions once it sees them', () => {
    const t = new BatchSizeTuner({ cap: 50, contextTokens: 2000, completionTokens: 200, instructionTokens: 100 });
    expect(t.maxTokens).toBe(Math.floor((2000 - 200 - 100) * 0.95)); // 1615
    const decisions = t.onAnswer(answered(10, { recordTokens: 400, promptTokens: 700 })); // the instructions take 300, not 100
    expect(decisions).toEqual([expect.objectContaining({ setting: 'maxBatchTokens', from: 1615, to: Math.floor((2000 - 200 - 300) * 0.95) })]);
  });

  it('ignores an overflow of one record (that record is too large, not the batches)', () => {
    const t = new BatchSizeTuner({ cap: 50 });
    expect(t.onAnswer({ records: 1, recordTokens: 9000, promptTokens: 9100, outcome: 'overflow', answered: 0 })).toEqual([]);
    expect(t.maxTokens).toBeUndefined();
  });

  it('shrinks under what a cut-off answer held after two in a row, and stays there', () => {
    const t = new BatchSizeTuner({ cap: 50 });
    expect(t.onAnswer(answered(50, { outcome: 'truncated', answered: 30 }))).toEqual([]); // one could be chance
    expect(t.onAnswer(answered(50, { outcome: 'truncated', answered: 30 }))).toEqual([expect.objectContaining({ setting: 'batchSize', from: 50, to: 27, reason: 'truncated' })]);
    for (let i = 0; i < 40; i++) t.onAnswer(answered(27));
    expect(t.size).toBe(27); // the output budget doesn't grow back
  });

  it('halves after two unreadable answers in a row, and grows back toward the cap on good ones', () => {
    const t = new BatchSizeTuner({ cap: 40 });
    t.onAnswer(answered(40, { outcome: 'unreadable', answered: 0 }));
    t.onAnswer(answered(40, { outcome: 'unreadable', answered: 0 }));
    expect(t.size).toBe(20);
    for (let i = 0; i < 8; i++) t.onAnswer(answered(20));
    expect(t.size).toBe(25);
    for (let i = 0; i < 16; i++) t.onAnswer(answered(t.size));
    expect(t.size).toBe(39); // under the size that failed, until enough good answers forget it
    for (let i = 0; i < 16; i++) t.onAnswer(answered(t.size));
    expect(t.size).toBe(40);
  });

  it('does not move for a bad answer between good ones, nor for repairs of a few records', () => {
    const t = new BatchSizeTuner({ cap: 50 });
    for (let i = 0; i < 20; i++) t.onAnswer(answered(50, i % 3 === 0 ? { outcome: 'unreadable', answered: 0 } : {}));
    for (let i = 0; i < 5; i++) t.onAnswer(answered(3, { outcome: 'unreadable', answered: 0 }));
    expect(t.size).toBe(50);
  });

  it('moves to a size whose time per record is clearly lower (a server slower than linear)', () => {
    const t = new BatchSizeTuner({ cap: 40, probeEvery: 0 });
    const latency = (n: number) => 100 + 0.5 * n * n; // 40 → 900 ms (22.5 per record), 20 → 300 ms (15)
    t.onTiming({ records: 20, latencyMs: latency(20) });
    t.onTiming({ records: 20, latencyMs: latency(20) });
    t.onTiming({ records: 40, latencyMs: latency(40) });
    expect(t.onTiming({ records: 40, latencyMs: latency(40) })).toEqual([]);
    expect(t.onTiming({ records: 40, latencyMs: latency(40) })).toEqual([expect.objectContaining({ setting: 'batchSize', from: 40, to: 20, reason: 'timing' })]);
  });

  it('stays at the cap when time grows linearly with the batch (per record, larger is cheaper)', () => {
    const t = new BatchSizeTuner({ cap: 50, probeEvery: 0 });
    const latency = (n: number) => 100 + 20 * n;
    for (const n of [25, 25, 25, 50, 50, 50, 50, 50]) expect(t.onTiming({ records: n, latencyMs: latency(n) })).toEqual([]);
    expect(t.size).toBe(50);
  });

  it('sends one batch in probeEvery at another size, to time it', () => {
    const t = new BatchSizeTuner({ cap: 40, probeEvery: 4 });
    const sizes = Array.from({ length: 8 }, () => t.nextSize());
    expect(sizes).toEqual([40, 40, 40, 20, 40, 40, 40, 20]); // at the cap there is only down
  });
});

describe('readContextOverflow', () => {
  it("reads OpenAI's two wordings, and nothing from others", () => {
    expect(readContextOverflow("This model's maximum context length is 4097 tokens. However, you requested 4162 tokens (3162 in the messages, 1000 in the completion).")).toEqual({
      contextTokens: 4097,
      promptTokens: 3162,
      completionTokens: 1000,
    });
    expect(readContextOverflow("This model's maximum context length is 3000 tokens. However, your messages resulted in 3100 tokens.")).toEqual({ contextTokens: 3000, promptTokens: 3100 });
    expect(readContextOverflow('prompt is too long')).toEqual({});
  });
});

describe('cutBatch', () => {
  const items = (tokens: number[]) => tokens.map((t, i) => ({ i, tokens: t }));

  it('cuts evenly, not into full parts and a stub', () => {
    expect(cutBatch(items(Array(50).fill(10)), { size: 12 }).map((p) => p.length)).toEqual([10, 10, 10, 10, 10]);
    expect(cutBatch(items(Array(50).fill(10)), { size: 12, firstSize: 6 }).map((p) => p.length)).toEqual([6, 11, 11, 11, 11]);
  });

  it('keeps every record once, in order, each part within the size and the token budget (a record over it alone)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 500 }), { minLength: 1, maxLength: 120 }),
        fc.integer({ min: 1, max: 60 }),
        fc.option(fc.integer({ min: 1, max: 2000 }), { nil: undefined }),
        fc.option(fc.integer({ min: 1, max: 80 }), { nil: undefined }),
        (tokens, size, maxTokens, firstSize) => {
          const batch = items(tokens);
          const parts = cutBatch(batch, { size, maxTokens, firstSize });
          expect(parts.flat()).toEqual(batch);
          parts.forEach((part, index) => {
            expect(part.length).toBeGreaterThan(0);
            expect(part.length).toBeLessThanOrEqual(index === 0 && firstSize !== undefined ? Math.max(size, firstSize) : size);
            if (maxTokens !== undefined && part.length > 1) expect(part.reduce((s, x) => s + x.tokens, 0)).toBeLessThanOrEqual(maxTokens);
          });
          if (maxTokens === undefined && firstSize === undefined) expect(parts.length).toBe(Math.ceil(tokens.length / size));
        },
      ),
    );
  });
});

describe('Batcher.resize', () => {
  it('cuts later batches to the new size and token budget, and sends an open batch already full by them', () => {
    const sent: number[][] = [];
    const batcher = new Batcher<{ id: number; tokens: number }>({ size: 50, timeoutMs: Infinity }, (r) => r.tokens, (batch) => sent.push(batch.map((r) => r.id)));
    for (let id = 0; id < 12; id++) batcher.add({ id, tokens: 10 });
    expect(sent).toEqual([]);
    batcher.resize({ size: 10 });
    expect(sent).toEqual([[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]]); // already over: goes now (the predictor cuts it before sending)
    for (let id = 12; id < 22; id++) batcher.add({ id, tokens: 10 });
    expect(sent[1]).toHaveLength(10);
    batcher.resize({ maxTokens: 35 });
    expect(batcher.limits).toEqual({ size: 10, maxTokens: 35 });
    for (let id = 22; id < 30; id++) batcher.add({ id, tokens: 10 });
    batcher.flush();
    expect(sent.slice(2).map((b) => b.length)).toEqual([3, 3, 2]);
  });
});

describe('RunStats and tuning', () => {
  it('keeps the last value of each tuned setting, probes aside, and counts every decision', () => {
    const stats = new RunStats();
    expect(stats.snapshot().tuning).toBeUndefined();
    stats.record({ type: 'tune', setting: 'batchSize', to: 50, reason: 'start', message: '' });
    stats.record({ type: 'tune', setting: 'concurrency', to: 8, reason: 'start', message: '' });
    stats.record({ type: 'tune', setting: 'batchSize', from: 50, to: 25, reason: 'probe', message: '' });
    stats.record({ type: 'tune', setting: 'concurrency', from: 8, to: 16, reason: 'throughput', message: '' });
    stats.record({ type: 'tune', setting: 'maxBatchTokens', to: 1900, reason: 'context', message: '' });
    expect(stats.snapshot().tuning).toEqual({ batchSize: 50, concurrency: 16, maxBatchTokens: 1900, decisions: 5 });
  });
});
