import { predictAll, RunStats, ModelCallError, type RunEvent } from '@mlpredict/core';
import { answerModel, labelAll, upper } from './support/answer-model';

it('counts records, requests, retries, repairs, tokens and cost, and streams events', async () => {
  const model = answerModel((records, _request, call) => {
    if (call === 1) throw new ModelCallError('busy', { kind: 'rate_limited', status: 429, retryAfterMs: 1 });
    const kept = call === 2 ? records.filter((_, i) => i !== 1) : records; // leave the middle record out once
    return { text: labelAll(upper)(kept, undefined as never, 0) as string, usage: { promptTokens: 100, completionTokens: 20 } };
  });
  const stats = new RunStats({ prices: { promptPerMillion: 1, completionPerMillion: 10 } });
  const events: RunEvent['type'][] = [];
  stats.events$.subscribe((e) => events.push(e.type));
  const results = await predictAll(model, ['a', 'b', 'c'], { batchTimeoutMs: 0, stats });
  expect(results.map((r) => r.value)).toEqual(['A', 'B', 'C']);
  const s = stats.snapshot();
  expect(s).toMatchObject({ records: 3, values: 3, errors: 0, batches: 1, requests: 3, retries: 1, rateLimited: 1, repaired: 1, promptTokens: 200, completionTokens: 40 });
  expect(s.estimatedCost).toBeCloseTo((200 * 1 + 40 * 10) / 1e6);
  expect(events.filter((t) => t === 'result')).toHaveLength(3);
  expect(events).toEqual(expect.arrayContaining(['request', 'retry', 'rate_limit', 'batch', 'result']));
});

it('counts errors by code', async () => {
  const model = answerModel(() => {
    throw new ModelCallError('no', { kind: 'http', status: 403 });
  });
  const stats = new RunStats();
  await predictAll(model, ['a', 'b'], { batchTimeoutMs: 0, stats });
  expect(stats.snapshot()).toMatchObject({ records: 2, errors: 2, errorsByCode: { http: 2 } });
  expect(stats.snapshot().estimatedCost).toBeUndefined();
});
