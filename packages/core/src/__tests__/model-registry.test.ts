import { predictAll, type Model } from '@mlpredict/core';
import { defineModel, getModel, modelNames } from '../config/model-registry';
import { answerModel, labelAll, upper } from './support/answer-model';

const fast = { batchTimeoutMs: 0, retry: { strategy: 'fixed' as const, baseDelayMs: 1, maxDelayMs: 1 } };
const words = (n: number) => Array.from({ length: n }, (_, i) => `word ${i}`);

describe('defineModel / getModel', () => {
  it('puts the given defaults over the model’s own, either spelling', () => {
    const base = answerModel(labelAll(upper), { defaults: { 'batch.size': 10, valueField: 'label', maxRetries: 1 } });
    const model = defineModel('merge', base, { batchSize: 5, 'response.value.field': 'sentiment' });
    expect(model.defaults).toEqual({ batchSize: 5, valueField: 'sentiment', maxRetries: 1 });
    expect(getModel('merge')).toBe(model);
    expect(base.defaults).toEqual({ 'batch.size': 10, valueField: 'label', maxRetries: 1 });
  });

  it('runs with the defaults, and a call overrides them', async () => {
    const base = answerModel(labelAll(upper, 'sentiment'));
    defineModel('run', base, { 'batch.size': 2, valueField: 'sentiment' });
    const results = await predictAll(getModel('run'), words(4), fast);
    expect(results.map((r) => r.value)).toEqual(words(4).map(upper));
    expect(base.requests).toHaveLength(2);
    await predictAll(getModel('run'), words(4), { ...fast, batchSize: 4 });
    expect(base.requests).toHaveLength(3);
  });

  it('keeps the model’s name, limits and calls, and embed only when it has one', async () => {
    const embedder: Model = { name: 'e', limits: { maxConcurrency: 2 }, complete: async () => ({ text: 'hi' }), embed: async (r) => ({ embeddings: r.inputs.map(() => [1]) }) };
    const model = defineModel('keep', embedder, {});
    expect([model.name, model.limits]).toEqual(['e', { maxConcurrency: 2 }]);
    expect(await model.complete({ messages: [] })).toEqual({ text: 'hi' });
    expect(await model.embed!({ inputs: ['a'] })).toEqual({ embeddings: [[1]] });
    expect(defineModel('no-embed', answerModel(() => ''), {}).embed).toBeUndefined();
  });

  it('refuses a name twice, and bad defaults by name', () => {
    defineModel('twice', answerModel(() => ''), {});
    expect(() => defineModel('twice', answerModel(() => ''), {})).toThrow(/a model named "twice" is already defined/);
    expect(() => defineModel('bad', answerModel(() => ''), { batchSize: 0 })).toThrow(/defineModel\("bad"\): invalid options:\n {2}- "batchSize" \(batch\.size\): expected a value >= 1/);
    expect(modelNames()).not.toContain('bad');
  });

  it('names the defined models when the name is unknown', () => {
    expect(() => getModel('nope')).toThrow(/getModel: no model named "nope"; defined: "merge", "run", "keep", "no-embed", "twice"/);
  });
});

describe('defineModel and quotas', () => {
  it('shares the rate gate of the model it derives from', async () => {
    const { defineModel, modelRuntime } = await import('@mlpredict/core');
    const base = { name: 'quota-base', complete: async () => ({ text: '[]' }) };
    const derived = defineModel('quota-derived', base, { batchSize: 5 });
    expect(derived).not.toBe(base);
    expect(modelRuntime(derived)).toBe(modelRuntime(base));
    modelRuntime(base).gate.pause(10_000);
    expect(modelRuntime(derived).gate.isPaused).toBe(true);
  });
});
