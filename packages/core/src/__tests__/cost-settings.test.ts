/**
 * Issue 16.4: what a run's tokens cost — the `price` option over the price
 * table, cached prompt tokens read from what providers send — and the checks
 * that make a bad `price` or `budget` fail at construction.
 */
import fc from 'fast-check';
import { createPredictor, mlPredict, MODEL_PRICES, predictDeferred } from '@mlpredict/core';
import { openAIUsage, resolveOptions, runPrice, renderMessages, RESPONSE_FORMAT_NAMES } from '@mlpredict/core/internals';
import { completionOf } from '../providers/read-completion';
import { readOutputLine } from '../providers/openai-batches';
import { answerModel, labelAll, upper } from './support/answer-model';

describe('runPrice: the price option over the table', () => {
  it('a known model takes the table price; each field given replaces the table\'s; a cached price never passes the input price', () => {
    expect(runPrice('openai:gpt-4o-mini')).toBe(MODEL_PRICES['gpt-4o-mini']);
    expect(runPrice('openai:gpt-4o-mini', { outputPerMillion: 1 })).toEqual({ inputPerMillion: 0.15, cachedInputPerMillion: 0.075, outputPerMillion: 1, batchDiscount: 0.5 });
    expect(runPrice('gpt-4o', { inputPerMillion: 1 })).toEqual({ inputPerMillion: 1, cachedInputPerMillion: 1, outputPerMillion: 10, batchDiscount: 0.5 });
    expect(runPrice('gpt-4o', { batchDiscount: 0 })?.batchDiscount).toBe(0);
  });

  it('a model the table does not know is priced only by a whole option, with no discount assumed; in part it is refused; not at all, it is unpriced', () => {
    expect(runPrice('sim', { inputPerMillion: 1, outputPerMillion: 2 })).toEqual({ inputPerMillion: 1, outputPerMillion: 2, batchDiscount: 0 });
    expect(() => runPrice('sim', { inputPerMillion: 1 })).toThrow('mlPredict: option "price" needs outputPerMillion: the price table does not know the model "sim"');
    expect(runPrice('sim')).toBeUndefined();
  });
});

describe('price and budget options fail at construction, naming the option', () => {
  const model = answerModel(labelAll(upper));

  it.each([
    [{ price: { inputPerMillion: -1 } }, /"price.inputPerMillion": expected a value >= 0, got -1/],
    [{ price: { inputPerMillion: 1, outputPerMillion: 1, batchDiscount: 1 } }, /"price.batchDiscount"/],
    [{ price: { input: 1 } }, /"price"/],
    [{ budget: {} }, /"budget".*expected maxTokens, maxCostUsd or both/],
    [{ budget: { maxTokens: 0 } }, /"budget.maxTokens"/],
    [{ budget: { maxCostUsd: -2 } }, /"budget.maxCostUsd"/],
    [{ budget: { maxUsd: 2 } }, /"budget"/],
  ])('%j', (options, message) => {
    expect(() => mlPredict(model, options as never)).toThrow(TypeError);
    expect(() => mlPredict(model, options as never)).toThrow(message);
  });

  it('budget.maxCostUsd for a model nobody prices is refused at once, saying what to give', () => {
    expect(() => createPredictor(model, { budget: { maxCostUsd: 1 } })).toThrow(/createPredictor: option "budget.maxCostUsd" needs a price, and the price table does not know the model "test:answer": give the "price" option/);
    expect(() => createPredictor(model, { budget: { maxCostUsd: 1 }, price: { inputPerMillion: 1, outputPerMillion: 1 } })).not.toThrow();
    expect(() => createPredictor(model, { budget: { maxTokens: 1000 } })).not.toThrow();
    expect(() => predictDeferred({ ...model, batches: {} as never }, [], { jobDir: '/tmp/x', maxTokens: 400, budget: { maxCostUsd: 1 } })).toThrow(/predictDeferred: option "budget.maxCostUsd" needs a price/);
    // A job is planned before any answer exists: a budget holds only with a bound on each answer.
    expect(() => predictDeferred({ ...model, batches: {} as never }, [], { jobDir: '/tmp/x', budget: { maxTokens: 1000 } })).toThrow(/predictDeferred: option "budget" needs "maxTokens"/);
  });

  it('strings from a config or a CLI are read as numbers', () => {
    expect(resolveOptions({ price: { inputPerMillion: '0.5', outputPerMillion: '2' }, budget: { maxTokens: '5000' } } as never).cost).toEqual({ price: { inputPerMillion: 0.5, outputPerMillion: 2 }, budget: { maxTokens: 5000 } });
  });
});

describe('cached prompt tokens, as OpenAI reports them', () => {
  const json = { status: 200, headers: new Headers({ 'content-type': 'application/json' }) };
  const body = (usage: unknown) => JSON.stringify({ choices: [{ message: { content: 'hi' }, finish_reason: 'stop' }], usage });

  it('a chat completion and a Batch API output line carry prompt_tokens_details.cached_tokens into usage', () => {
    const usage = { prompt_tokens: 1200, completion_tokens: 40, prompt_tokens_details: { cached_tokens: 1024 } };
    expect(completionOf(body(usage), json).usage).toEqual({ promptTokens: 1200, completionTokens: 40, cachedPromptTokens: 1024 });
    const line = JSON.stringify({ custom_id: 'batch-0', response: { status_code: 200, body: JSON.parse(body(usage)) } });
    expect(readOutputLine(line)).toMatchObject({ ok: true, response: { usage: { promptTokens: 1200, completionTokens: 40, cachedPromptTokens: 1024 } } });
    expect(completionOf(body({ prompt_tokens: 10, completion_tokens: 2 }), json).usage).toEqual({ promptTokens: 10, completionTokens: 2 });
  });

  it('a batch output line whose counts are not numbers gives no usage rather than a string in the totals', () => {
    const line = JSON.stringify({ custom_id: 'batch-0', response: { status_code: 200, body: JSON.parse(body({ prompt_tokens: 'lots', completion_tokens: null })) } });
    expect((readOutputLine(line) as { response: { usage?: unknown } }).response.usage).toBeUndefined();
  });

  it('property: whatever a server sends as usage, what is kept is counts, and cached tokens never pass the prompt tokens', () => {
    const anything = fc.oneof(fc.integer({ min: -5, max: 5000 }), fc.double(), fc.string(), fc.constant(null), fc.constant(undefined));
    fc.assert(
      fc.property(anything, anything, anything, fc.boolean(), (prompt, completion, cached, withDetails) => {
        const usage = openAIUsage({ prompt_tokens: prompt, completion_tokens: completion, ...(withDetails && { prompt_tokens_details: { cached_tokens: cached } }) });
        if (usage === undefined) return;
        for (const n of [usage.promptTokens, usage.completionTokens, usage.cachedPromptTokens ?? 0]) {
          expect(Number.isFinite(n) && n >= 0).toBe(true);
        }
        expect(usage.cachedPromptTokens ?? 0).toBeLessThanOrEqual(usage.promptTokens);
      }),
      { numRuns: 500 },
    );
  });
});

describe('the default templates put the stable part first, so providers\' prefix caching applies', () => {
  it.each(RESPONSE_FORMAT_NAMES)('%s: two batches share every message up to the records, system prompt and instruction included', (format) => {
    const prompt = resolveOptions({ responseFormat: format, instruction: 'Classify the sentiment of each review as positive, negative or neutral.' }).prompt;
    const a = renderMessages([{ text: 'Great phone', input: 'Great phone' }], prompt);
    const b = renderMessages([{ text: 'It broke', input: 'It broke' }, { text: 'Blue', input: 'Blue' }], prompt);
    const textA = a.map((m) => m.content).join('\n');
    const textB = b.map((m) => m.content).join('\n');
    let shared = 0;
    while (shared < textA.length && textA[shared] === textB[shared]) shared++;
    const prefix = textA.slice(0, shared);
    expect(prefix).toContain(prompt.systemPrompt);
    expect(prefix).toContain('Classify the sentiment of each review as positive, negative or neutral.');
    expect(prefix).not.toContain('Great phone');
  });
});
