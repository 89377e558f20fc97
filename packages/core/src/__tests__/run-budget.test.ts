/**
 * Issue 16.5: the run's budget. A request goes out only once its estimated spend
 * is reserved out of what is left; answers replace estimates with what the
 * server counted; a request that can't fit waits while others are in flight, and
 * once nothing is in flight and it still can't, the budget is spent for good.
 */
import fc from 'fast-check';
import { PRIOR_COMPLETION_TOKENS_PER_RECORD, RunBudget } from '@mlpredict/core/internals';
import { costOf, type ModelPrice } from '@mlpredict/core';

const price: ModelPrice = { inputPerMillion: 1, cachedInputPerMillion: 0.5, outputPerMillion: 4, batchDiscount: 0.5 };
/** An estimate whose expected spend is exactly `prompt + completion` tokens (the completion given as max_tokens). */
const est = (prompt: number, completion: number) => ({ promptTokens: prompt, maxCompletionTokens: completion, records: 1 });

describe('RunBudget', () => {
  it('reserves while the estimate fits, spends what the server counted, and refuses for good once a request cannot fit with nothing in flight', async () => {
    const budget = new RunBudget({ maxTokens: 1000 });
    const a = await budget.reserve(est(300, 100));
    expect(a).toBeDefined();
    expect(budget.state).toMatchObject({ reservedTokens: 400, spentTokens: 0 });
    a!.settle({ promptTokens: 300, completionTokens: 0 }); // smaller than estimated: the difference comes back
    expect(budget.state).toMatchObject({ reservedTokens: 0, spentTokens: 300 });
    const b = await budget.reserve(est(500, 200));
    b!.settle({ promptTokens: 500, completionTokens: 150 });
    expect(budget.state.spentTokens).toBe(950);
    expect(await budget.reserve(est(40, 20))).toBeUndefined(); // 950 + 60 > 1000, nothing in flight
    expect(budget.exhausted).toBe(true);
    expect(await budget.reserve(est(1, 1))).toBeUndefined(); // spent: even a small one is refused now
    expect(budget.refusal()).toMatch(/^the run's budget is spent \(950 of 1000 tokens used; the next request needed about 60 tokens\); nothing more was sent$/);
  });

  it('a request that does not fit waits for the requests in flight, and goes when one of them spent less than it held', async () => {
    const budget = new RunBudget({ maxTokens: 1000 });
    const first = (await budget.reserve(est(500, 100)))!;
    let second: unknown = 'waiting';
    const waiting = budget.reserve(est(500, 100)).then((lease) => (second = lease));
    await new Promise((r) => setImmediate(r));
    expect(second).toBe('waiting'); // 600 held + 600 > 1000
    first.settle({ promptTokens: 300, completionTokens: 50 }); // 350 spent: 350 + 600 fits
    await waiting;
    expect(second).toBeDefined();
    expect(budget.state).toMatchObject({ spentTokens: 350, reservedTokens: 600, exhausted: false });
  });

  it('a waiting request is refused once nothing is in flight and it still does not fit; a failed request gives its reservation back', async () => {
    const budget = new RunBudget({ maxTokens: 1000 });
    const failing = (await budget.reserve(est(400, 100)))!;
    const answered = (await budget.reserve(est(300, 100)))!;
    const third = budget.reserve(est(300, 100));
    failing.release(); // 500 back: 400 held + 400 fits
    const lease = await third;
    expect(lease).toBeDefined();
    expect(budget.state.spentTokens).toBe(0);
    const fourth = budget.reserve(est(400, 200));
    answered.settle({ promptTokens: 300, completionTokens: 100 });
    lease!.settle({ promptTokens: 300, completionTokens: 100 }); // 800 spent, nothing in flight: 600 more can't fit
    expect(await fourth).toBeUndefined();
    expect(budget.state).toMatchObject({ spentTokens: 800, reservedTokens: 0, exhausted: true });
  });

  it('an answer without usage counts as its estimate (the server may have charged it)', async () => {
    const budget = new RunBudget({ maxTokens: 1000 });
    (await budget.reserve(est(300, 100)))!.settle(undefined);
    expect(budget.state.spentTokens).toBe(400);
  });

  it('maxCostUsd prices every estimate and answer at the run price, cached prompt tokens at the cached price', async () => {
    const budget = new RunBudget({ maxCostUsd: 0.01 }, price);
    const lease = (await budget.reserve(est(2000, 500)))!;
    expect(budget.state.reservedUsd).toBeCloseTo(costOf({ promptTokens: 2000, completionTokens: 500 }, price), 12);
    lease.settle({ promptTokens: 2000, completionTokens: 500, cachedPromptTokens: 1000 });
    expect(budget.state.spentUsd).toBeCloseTo((1000 * 1 + 1000 * 0.5 + 500 * 4) / 1e6, 12);
    expect(() => new RunBudget({ maxCostUsd: 1 })).toThrow(/budget.maxCostUsd needs a price/);
  });

  it('without max_tokens it guesses the answer per record, then learns it (and the prompt estimate\'s error) from answers', async () => {
    const budget = new RunBudget({ maxTokens: 1_000_000 });
    const first = (await budget.reserve({ promptTokens: 100, records: 10 }))!;
    expect(budget.state.reservedTokens).toBe(100 + 10 * PRIOR_COMPLETION_TOKENS_PER_RECORD);
    first.settle({ promptTokens: 120, completionTokens: 50 }); // 5 a record; prompts count 1.2× the estimate
    await budget.reserve({ promptTokens: 200, records: 4 });
    expect(budget.state.reservedTokens).toBe(240 + 20);
  });

  it('plan() takes estimates in order while they fit what is left, at the Batch API price; when not all fit, what the planned ones leave is still there for their repairs', async () => {
    const budget = new RunBudget({ maxCostUsd: 0.003 }, price);
    // Each: 1000 prompt + 250 completion = $0.002 at list price, $0.001 at the batch discount.
    const lines = Array.from({ length: 5 }, () => est(1000, 250));
    expect(budget.plan(lines, { batch: true })).toBe(3);
    expect(budget.exhausted).toBe(false);
    // Two of the three lines answered ($0.002 at the discount), one failed: its repair fits what is left, at list price…
    budget.charge({ promptTokens: 2000, completionTokens: 500 }, { batch: true });
    const repair = await budget.reserve(est(400, 100));
    expect(repair).toBeDefined();
    repair!.settle({ promptTokens: 400, completionTokens: 100 });
    // …and the budget still holds: a request over what is left is refused.
    expect(await budget.reserve(est(1000, 250))).toBeUndefined();
    expect(budget.exhausted).toBe(true);
    expect(budget.state.spentUsd).toBeLessThanOrEqual(0.003 * (1 + 1e-9));
    const fresh = new RunBudget({ maxCostUsd: 0.003 }, price);
    expect(fresh.plan(lines.slice(0, 3), { batch: true })).toBe(3);
    expect(fresh.exhausted).toBe(false);
    fresh.charge({ promptTokens: 3000, completionTokens: 750 }, { batch: true });
    expect(fresh.state.spentUsd).toBeCloseTo(0.003, 12);
  });

  it('onSpent tells what each request spent as it settles (its estimate when the server counted nothing); chargeSpent counts an earlier process\'s spend against the limits', async () => {
    const budget = new RunBudget({ maxTokens: 1000, maxCostUsd: 1 }, price);
    const told: Array<{ tokens: number; usd: number }> = [];
    const stop = budget.onSpent((spend) => told.push(spend));
    (await budget.reserve(est(100, 0)))!.settle();
    (await budget.reserve(est(300, 100)))!.settle({ promptTokens: 200, completionTokens: 50 });
    (await budget.reserve(est(100, 0)))!.release(); // failed: nothing spent
    budget.charge({ promptTokens: 10, completionTokens: 0 }); // a job's lines: not told
    stop();
    (await budget.reserve(est(10, 0)))!.settle({ promptTokens: 10, completionTokens: 0 });
    expect(told).toEqual([
      { tokens: 100, usd: costOf({ promptTokens: 100, completionTokens: 0 }, price) },
      { tokens: 250, usd: costOf({ promptTokens: 200, completionTokens: 50 }, price) },
    ]);

    const again = new RunBudget({ maxTokens: 1000 });
    again.chargeSpent({ tokens: 800, usd: 0 });
    expect(again.state.spentTokens).toBe(800);
    expect(await again.reserve(est(150, 100))).toBeUndefined();
    expect(again.exhausted).toBe(true);
  });

  it('a waiting request rejects with the abort reason when its signal aborts', async () => {
    const budget = new RunBudget({ maxTokens: 100 });
    await budget.reserve(est(50, 30));
    const controller = new AbortController();
    const waiting = budget.reserve(est(50, 30), { signal: controller.signal });
    controller.abort(new Error('stop'));
    await expect(waiting).rejects.toThrow('stop');
  });

  it('property: when answers spend no more than their estimates, what is spent never passes the budget, however requests overlap', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 50, max: 5000 }),
        fc.array(fc.record({ prompt: fc.integer({ min: 1, max: 400 }), completion: fc.integer({ min: 0, max: 200 }), spentShare: fc.double({ min: 0, max: 1, noNaN: true }), fails: fc.boolean() }), { maxLength: 40 }),
        fc.integer({ min: 1, max: 6 }),
        async (maxTokens, requests, concurrency) => {
          const budget = new RunBudget({ maxTokens });
          let next = 0;
          const worker = async () => {
            while (next < requests.length) {
              const r = requests[next++]!;
              const lease = await budget.reserve(est(r.prompt, r.completion));
              if (!lease) continue;
              await new Promise((resolve) => setImmediate(resolve));
              if (r.fails) lease.release();
              else lease.settle({ promptTokens: Math.floor(r.prompt * r.spentShare), completionTokens: Math.floor(r.completion * r.spentShare) });
              expect(budget.state.spentTokens).toBeLessThanOrEqual(maxTokens);
            }
          };
          await Promise.all(Array.from({ length: concurrency }, worker));
          expect(budget.state.reservedTokens).toBe(0);
          expect(budget.state.spentTokens).toBeLessThanOrEqual(maxTokens);
        },
      ),
      { numRuns: 150 },
    );
  });
});
