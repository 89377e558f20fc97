import { costOf, MODEL_PRICES, priceFor } from '../cost/price-table';

describe('priceFor', () => {
  it('finds a model by its id, ignoring a provider prefix, a date or version suffix and -latest', () => {
    const mini = MODEL_PRICES['gpt-4o-mini'];
    expect(priceFor('gpt-4o-mini')).toBe(mini);
    expect(priceFor('gpt-4o-mini-2024-07-18')).toBe(mini);
    expect(priceFor('openai:gpt-4o-mini')).toBe(mini);
    expect(priceFor('openai/GPT-4o-mini')).toBe(mini);
    expect(priceFor('claude-sonnet-4-20250514')).toBe(MODEL_PRICES['claude-sonnet-4']);
    expect(priceFor('gpt-3.5-turbo-0125')).toBe(MODEL_PRICES['gpt-3.5-turbo']);
    expect(priceFor('gemini-1.5-flash-001')).toBe(MODEL_PRICES['gemini-1.5-flash']);
  });

  it('does not guess: a model the table lacks is unknown, not priced as its nearest name', () => {
    expect(priceFor('o3-pro')).toBeUndefined();
    expect(priceFor('gpt-4o-mini-audio')).toBeUndefined();
    expect(priceFor('my-finetune')).toBeUndefined();
    expect(priceFor('toString')).toBeUndefined();
  });

  it('lists sane prices: input above zero, cached input at most input, a discount between 0 and 1', () => {
    for (const [id, p] of Object.entries(MODEL_PRICES)) {
      const problems = [
        p.inputPerMillion > 0 ? '' : 'input',
        p.cachedInputPerMillion === undefined || p.cachedInputPerMillion <= p.inputPerMillion ? '' : 'cached',
        p.batchDiscount >= 0 && p.batchDiscount < 1 ? '' : 'discount',
      ].filter(Boolean);
      expect({ id, problems }).toEqual({ id, problems: [] });
    }
  });
});

describe('costOf', () => {
  const p = { inputPerMillion: 2, cachedInputPerMillion: 0.5, outputPerMillion: 8, batchDiscount: 0.5 };

  it('prices prompt, cached prompt and completion tokens per million', () => {
    expect(costOf({ promptTokens: 1_000_000, completionTokens: 500_000 }, p)).toBeCloseTo(2 + 4, 10);
    expect(costOf({ promptTokens: 1_000_000, completionTokens: 0, cachedPromptTokens: 400_000 }, p)).toBeCloseTo(0.6 * 2 + 0.4 * 0.5, 10);
    expect(costOf({ promptTokens: 1000, completionTokens: 0, cachedPromptTokens: 5000 }, p)).toBeCloseTo(0.0005, 10);
  });

  it('applies the Batch API discount only when asked', () => {
    const usage = { promptTokens: 2_000_000, completionTokens: 1_000_000 };
    expect(costOf(usage, p, { batch: true })).toBeCloseTo(costOf(usage, p) / 2, 10);
  });

  it('charges cached tokens at the input price when a model has no cache price', () => {
    const q = { inputPerMillion: 1, outputPerMillion: 1, batchDiscount: 0 };
    expect(costOf({ promptTokens: 1_000_000, completionTokens: 0, cachedPromptTokens: 1_000_000 }, q)).toBeCloseTo(1, 10);
  });
});
