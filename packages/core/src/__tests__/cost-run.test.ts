/**
 * Issue 16.4 and 16.5 in one process: a run's cost in `meta` and `stats`, and a
 * budget shared by everything the run sends (first tries, repairs, votes,
 * retries), with the records it keeps back settled as `budget`.
 */
import { costOf, predictAll, RunStats, type CompletionRequest, type ModelPrice, type RequestEvent } from '@mlpredict/core';
import { answerModel, labelAll, promptRecords, upper } from './support/answer-model';

const price: ModelPrice = { inputPerMillion: 2, cachedInputPerMillion: 1, outputPerMillion: 8, batchDiscount: 0.5 };
const fast = { batchTimeoutMs: 0, retry: { strategy: 'fixed' as const, baseDelayMs: 1, maxDelayMs: 1 } };
const texts = (n: number) => Array.from({ length: n }, (_, i) => `record ${i}`);

/** Answers every record, reporting 100 prompt tokens (40 cached) and 10 completion tokens a record. */
const counted = (request: CompletionRequest) => {
  const n = promptRecords(request).length;
  return { promptTokens: 100 * n, completionTokens: 10 * n, cachedPromptTokens: 40 * n };
};

describe('cost in meta and stats', () => {
  it('each record carries its share of its request\'s usage and cost; stats sum the requests, cached tokens at the cached price', async () => {
    const model = answerModel((records, request) => ({ text: labelAll(upper)(records, request, 0) as string, finishReason: 'stop', usage: counted(request) }));
    const stats = new RunStats();
    const events: RequestEvent[] = [];
    const results = await predictAll(model, texts(10), { ...fast, batchSize: 4, price, stats, onRequest: (e) => events.push(e) });

    expect(results.every((r) => r.ok)).toBe(true);
    const perRecord = costOf({ promptTokens: 100, completionTokens: 10, cachedPromptTokens: 40 }, price);
    for (const r of results) {
      expect(r.meta.usage).toEqual({ promptTokens: 100, completionTokens: 10, cachedPromptTokens: 40 });
      expect(r.meta.costUsd).toBeCloseTo(perRecord, 12);
    }
    expect(events.map((e) => e.records)).toEqual([4, 4, 2]);
    expect(events[0]!.costUsd).toBeCloseTo(4 * perRecord, 12);
    const snapshot = stats.snapshot();
    expect(snapshot).toMatchObject({ promptTokens: 1000, completionTokens: 100, cachedPromptTokens: 400 });
    expect(snapshot.costUsd).toBeCloseTo(10 * perRecord, 12);
  });

  it('a run its price is unknown for reports no cost, rather than a wrong one', async () => {
    const model = answerModel((records, request) => ({ text: labelAll(upper)(records, request, 0) as string, usage: counted(request) }));
    const stats = new RunStats();
    const results = await predictAll(model, texts(3), { ...fast, stats });
    expect(results[0]!.meta.costUsd).toBeUndefined();
    expect(stats.snapshot().costUsd).toBeUndefined();
    expect(stats.snapshot().promptTokens).toBe(300);
  });
});

describe('budget', () => {
  it('stops sending once spent: the records kept back get the budget error, in order, with no request behind them; the run ends normally', async () => {
    const model = answerModel((records, request) => ({ text: labelAll(upper)(records, request, 0) as string, usage: counted(request) }));
    // Each batch of 5 costs 550 tokens as counted; 2000 allow three of them (the fourth would pass the limit).
    const results = await predictAll(model, texts(40), { ...fast, batchSize: 5, concurrency: 1, maxTokens: 60, budget: { maxTokens: 2000 } });
    const codes = results.map((r) => (r.ok ? 'ok' : r.error.code));
    expect(codes).toEqual([...Array(15).fill('ok'), ...Array(25).fill('budget')]);
    expect(model.requests).toHaveLength(3);
    const kept = results[20]!;
    expect(kept.ok).toBe(false);
    expect(!kept.ok && kept.error).toMatchObject({ code: 'budget', attempts: 0, message: expect.stringMatching(/^the run's budget is spent \(1650 of 2000 tokens used; the next request needed about \d+ tokens\); nothing more was sent$/) });
    expect(kept.error?.fatal).toBeUndefined();
  });

  it('is shared by repairs and votes: together they never send past it', async () => {
    let sentTokens = 0;
    // Leaves the last record of every batch out, so each batch needs a repair request too.
    const model = answerModel((records, request) => {
      const usage = { promptTokens: 30 * records.length + 20, completionTokens: 5 * records.length };
      sentTokens += usage.promptTokens + usage.completionTokens;
      return { text: JSON.stringify(records.slice(0, Math.max(1, records.length - 1)).map((r) => ({ index: r.index, answer: upper(r.text) }))), usage };
    });
    const results = await predictAll(model, texts(60), { ...fast, batchSize: 6, votes: 3, concurrency: 3, maxTokens: 40, budget: { maxTokens: 3000 } });
    expect(sentTokens).toBeLessThanOrEqual(3000);
    expect(sentTokens).toBeGreaterThan(2500); // the budget was used, not refused early
    expect(results.map((r) => r.seq)).toEqual(results.map((_, i) => i));
    expect(new Set(results.filter((r) => !r.ok).map((r) => r.error!.code))).toEqual(new Set(['budget']));
    expect(results.filter((r) => r.ok).every((r) => r.value === upper(r.input))).toBe(true);
  });

  it('a request that timed out keeps its reservation spent: the provider may have run it, so retries can not spend past the budget', async () => {
    // The provider runs (and bills) every request, but answers after the client's timeout.
    const model = answerModel(async (records, request) => {
      await new Promise((resolve) => request.signal?.addEventListener('abort', resolve, { once: true }));
      return { text: labelAll(upper)(records, request, 0) as string, usage: { promptTokens: 100, completionTokens: 50 } };
    });
    const results = await predictAll(model, texts(40), { ...fast, batchSize: 5, concurrency: 1, maxTokens: 50, requestTimeoutMs: 20, maxRetries: 3, budget: { maxTokens: 1000 } });
    // Each attempt reserves its prompt estimate plus 50: about 200 tokens, so about five fit in 1000.
    expect(model.requests.length).toBeLessThanOrEqual(7);
    expect(results.map((r) => r.seq)).toEqual(results.map((_, i) => i));
    const codes = results.map((r) => r.error?.code);
    expect(new Set(codes)).toEqual(new Set(['timeout', 'budget']));
    expect(codes.lastIndexOf('timeout')).toBeLessThan(codes.indexOf('budget'));
  });

  it('a request that failed gives its reservation back: its retry goes out within the same budget', async () => {
    let calls = 0;
    const model = answerModel((records, request) => {
      calls++;
      if (calls === 2) throw new Error('connection reset'); // a network error: retried
      return { text: labelAll(upper)(records, request, 0) as string, usage: { promptTokens: 400, completionTokens: 50 } };
    });
    // 450 spent, then each attempt holds ~450: with the failed one's still held, the retry could not fit.
    const results = await predictAll(model, texts(2), { ...fast, batchSize: 1, concurrency: 1, maxTokens: 50, budget: { maxTokens: 1000 } });
    expect(results.map((r) => r.error?.code ?? r.value)).toEqual(['RECORD 0', 'RECORD 1']);
    expect(calls).toBe(3);
    expect(results[1]!.meta.attempts).toBe(2);
  });
});
