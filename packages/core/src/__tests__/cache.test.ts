import { predictAll, ModelCallError } from '@mlpredict/core';
import { LruCache } from '../cache/lru-cache';
import { answerModel, labelAll, upper, promptRecords } from './support/answer-model';

const fast = { batchTimeoutMs: 0, retry: { strategy: 'fixed' as const, baseDelayMs: 1, maxDelayMs: 1 } };

describe('cache', () => {
  it('answers 1,000 records with 50 distinct texts in a handful of requests, all right', async () => {
    const model = answerModel(labelAll(upper));
    const inputs = Array.from({ length: 1000 }, (_, i) => `text ${i % 50}`);
    const results = await predictAll(model, inputs, { ...fast, cache: true, batchSize: 20, concurrency: 4 });
    expect(results.map((r) => r.value)).toEqual(inputs.map(upper));
    expect(model.requests.length).toBeLessThanOrEqual(5);
    const sent = model.requests.flatMap((r) => promptRecords(r).map((p) => p.text));
    expect(new Set(sent).size).toBe(sent.length); // no text sent twice
    expect(results.filter((r) => r.meta.via === 'cache')).toHaveLength(950);
  });

  it('shares a cache across runs when given one', async () => {
    const model = answerModel(labelAll(upper));
    const cache = new LruCache();
    await predictAll(model, ['a', 'b'], { ...fast, cache });
    const again = await predictAll(model, ['b', 'a', 'c'], { ...fast, cache });
    expect(again.map((r) => [r.value, r.meta.via])).toEqual([
      ['B', 'cache'],
      ['A', 'cache'],
      ['C', 'single'],
    ]);
    expect(model.requests).toHaveLength(2);
  });

  it('keys on what is asked: another instruction is another answer', async () => {
    const model = answerModel(labelAll(upper));
    const cache = new LruCache();
    await predictAll(model, ['a'], { ...fast, cache, instruction: 'one' });
    await predictAll(model, ['a'], { ...fast, cache, instruction: 'two' });
    expect(model.requests).toHaveLength(2);
  });

  it('keys on what the template shows of a record: same text, another {{input.field}}, another answer', async () => {
    // The model answers each record with the language line the template wrote for it.
    const model = answerModel((_records, request) => {
      const user = request.messages.at(-1)!.content as string;
      return JSON.stringify([...user.matchAll(/^Lang (\d+): (\w+)$/gm)].map((m) => ({ index: Number(m[1]), answer: m[2] })));
    });
    const promptTemplate = 'Say the language.\n{{#records}}Input {{index}}: {{textJson}}\nLang {{index}}: {{input.lang}}\n{{/records}}';
    const rows = [{ text: 'hello', lang: 'en' }, { text: 'hello', lang: 'fr' }, { text: 'hello', lang: 'en' }];
    const cache = new LruCache();
    const options = { ...fast, textField: 'text', valueField: 'answer', promptTemplate, cache, batchSize: 3 };
    const results = await predictAll(model, rows, options);
    expect(results.map((r) => r.value)).toEqual(['en', 'fr', 'en']);
    expect(results.map((r) => r.meta.via)).toEqual(['batch', 'batch', 'cache']);
    // Across runs too, and a record the template can't key (a circular input) is simply asked.
    const circular: Record<string, unknown> = { text: 'hello', lang: 'de' };
    circular.self = circular;
    const again = await predictAll(model, [{ text: 'hello', lang: 'fr' }, circular], options);
    expect(again.map((r) => [r.value, r.meta.via])).toEqual([
      ['fr', 'cache'],
      ['de', 'single'],
    ]);
  });

  it('gives waiting duplicates the same error when the first fails, and caches nothing', async () => {
    const model = answerModel(() => {
      throw new ModelCallError('denied', { kind: 'http', status: 403 });
    });
    const cache = new LruCache();
    const results = await predictAll(model, ['x', 'x', 'x'], { ...fast, cache, batchSize: 1, concurrency: 3 }); // all three in flight together
    expect(results.map((r) => r.error?.code)).toEqual(['http', 'http', 'http']);
    expect(model.requests).toHaveLength(1);
    expect(cache.size).toBe(0);
  });

  it('works with an async cache of your own', async () => {
    const store = new Map<string, unknown>();
    const cache = { get: async (k: string) => store.get(k), set: async (k: string, v: unknown) => void store.set(k, v) };
    const model = answerModel(labelAll(upper));
    await predictAll(model, ['a', 'b'], { ...fast, cache });
    expect(store.size).toBe(2);
    const again = await predictAll(model, ['a'], { ...fast, cache });
    expect(again[0]!.meta.via).toBe('cache');
    expect(model.requests).toHaveLength(1);
  });
});
