/**
 * Issue "Task executor": tasks, chains and pools over real HTTP, sharing one
 * model's bound with the operators.
 */
import { from, lastValueFrom, toArray } from 'rxjs';
import { mlPredict, predictAll, openAIModel } from '@mlpredict/core';
import { runTasks, mapChain } from '@mlpredict/core/executor';
import { startSimulator, sentimentOf, type Simulator } from '@mlpredict/testing';
import { modelAt, reviews, sleep } from './support';

const sims: Simulator[] = [];
const start = async (...args: Parameters<typeof startSimulator>) => {
  const sim = await startSimulator(...args);
  sims.push(sim);
  return sim;
};
afterEach(async () => {
  await Promise.all(sims.splice(0).map((s) => s.close()));
});

it('two pipelines and a task run on a model with maxConcurrency 4 never have more than 4 requests at the server', async () => {
  const sim = await start({ latencyMs: [20, 40] });
  const model = modelAt(sim.url, { maxConcurrency: 4 });
  const options = { valueField: 'sentiment', batchSize: 5, concurrency: 8, batchTimeoutMs: 20 };
  const [a, b, tasks] = await Promise.all([
    predictAll<string, string>(model, reviews(100), options),
    lastValueFrom(from(reviews(100)).pipe(mlPredict<string, string>(model, options), toArray())),
    runTasks(model, Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`t${i}`, { prompt: `Review: it is great ${i}` }])), { concurrency: 12 }),
  ]);
  expect(a.every((r) => r.value === sentimentOf(r.input))).toBe(true);
  expect(b.every((r) => r.value === sentimentOf(r.input))).toBe(true);
  expect(Object.values(tasks).every((t) => t.ok && t.value === 'positive')).toBe(true);
  expect(sim.stats.peakInFlight).toBe(4);
  expect(sim.stats.chatRequests).toBe(20 + 20 + 12);
});

it('tagged tasks: one failing, one retried, one deterministic — none cancels another', async () => {
  const sim = await start({ apiKey: 'test-key' });
  const flaky = await start({ faults: { serverError: 1 } });
  const model = modelAt(sim.url);
  const results = await runTasks(
    model,
    {
      denied: { prompt: 'Review: fine', model: openAIModel({ model: 'sim', baseURL: sim.url, apiKey: 'wrong-key' }) },
      retried: { prompt: 'Review: terrible', model: modelAt(flaky.url), retry: { maxRetries: 3, strategy: 'fixed', baseDelayMs: 10, maxDelayMs: 10 } },
      computed: { run: () => 6 * 7 },
      plain: { prompt: 'Review: excellent' },
    },
    { onRetry: () => flaky.configure({ faults: undefined }) }, // the first retry finds the server healed
  );
  expect(results.denied).toMatchObject({ ok: false, error: { code: 'http', status: 401 }, attempts: 1 });
  expect(results.retried).toMatchObject({ ok: true, value: 'negative', attempts: 2 });
  expect(results.computed).toMatchObject({ ok: true, value: 42 });
  expect(results.plain).toMatchObject({ ok: true, value: 'positive' });
  expect(flaky.stats.byStatus[500]).toBe(1);
});

it('a 3-step chain over 50 items with maxFlows 5 keeps order and reports per-item status', async () => {
  const sim = await start({ latencyMs: 10 });
  const model = modelAt(sim.url);
  const items = reviews(50);
  let flowing = 0;
  let peakFlows = 0;
  const results = await mapChain(
    items,
    [
      {
        name: 'cleaned',
        run: (text: string) => {
          if (text.includes('Review 13:') || text.includes('Review 31:')) throw new Error('unreadable review');
          return text.replace(/^Review \d+: /, '');
        },
      },
      { name: 'label', run: { prompt: (text: unknown) => `Review: ${String(text)}` } },
      { name: 'batched', input: (_item, out) => out.cleaned, run: { batch: { options: { valueField: 'sentiment', batchSize: 10 } } } },
    ],
    {
      model,
      maxFlows: 5,
      onItemStart: () => (peakFlows = Math.max(peakFlows, ++flowing)),
      onItemEnd: () => flowing--,
    },
  );
  expect(results.map((r) => r.index)).toEqual(items.map((_, i) => i));
  expect(results.map((r) => r.item)).toEqual(items);
  const failed = results.filter((r) => !r.ok);
  expect(failed.map((r) => [r.index, r.failedStep])).toEqual([
    [13, 'cleaned'],
    [31, 'cleaned'],
  ]);
  for (const r of results.filter((x) => x.ok)) {
    expect(r.outputs.label).toBe(sentimentOf(r.item));
    expect(r.outputs.batched).toBe(sentimentOf(r.item));
  }
  expect(peakFlows).toBeLessThanOrEqual(5);
  // The batch step carried 48 items in far fewer requests than one each.
  expect(sim.stats.chatRequests).toBeLessThan(48 + 48);
});

it('cancelling aborts every task in flight and starts no more', async () => {
  const sim = await start({ latencyMs: 5_000 });
  const controller = new AbortController();
  const pending = runTasks(modelAt(sim.url), Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`t${i}`, { prompt: `Review ${i}` }])), {
    concurrency: 3,
    signal: controller.signal,
  });
  for (let i = 0; i < 100 && sim.stats.inFlight < 3; i++) await sleep(10);
  controller.abort();
  const results = await pending;
  expect(Object.values(results).every((r) => !r.ok && r.error.code === 'aborted')).toBe(true);
  for (let i = 0; i < 100 && sim.stats.inFlight > 0; i++) await sleep(10);
  expect(sim.stats.inFlight).toBe(0);
  expect(sim.stats.chatRequests).toBe(3);
});
