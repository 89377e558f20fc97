import { z } from 'zod';
import { predictAll } from '@mlpredict/core';
import { resolveOptions } from '../config/options';
import { LruCache } from '../cache/lru-cache';
import { cacheKey, stableJson } from '../cache/cache-key';
import { runCacheKey } from '../predict/run-cache-key';
import { answerModel, labelAll } from './support/answer-model';
import type { AnswerCache } from '../cache/answer-cache';

describe('LruCache', () => {
  it('returns what was set, undefined for a miss', () => {
    const cache: AnswerCache = new LruCache();
    cache.set('a', { sentiment: 'positive' });
    expect(cache.get('a')).toEqual({ sentiment: 'positive' });
    expect(cache.get('b')).toBeUndefined();
  });

  it('evicts the least recently used entry beyond maxEntries; a read counts as use', () => {
    const cache = new LruCache({ maxEntries: 2 });
    cache.set('a', 1);
    cache.set('b', 2);
    expect(cache.get('a')).toBe(1); // b is now the oldest
    cache.set('c', 3);
    expect(cache.has('b')).toBe(false);
    expect([cache.get('a'), cache.get('c'), cache.size]).toEqual([1, 3, 2]);
  });

  it('overwriting refreshes an entry without growing the cache', () => {
    const cache = new LruCache({ maxEntries: 2 });
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('a', 10);
    cache.set('c', 3);
    expect([cache.get('a'), cache.has('b'), cache.size]).toEqual([10, false, 2]);
  });

  it('keeps falsy values as hits', () => {
    const cache = new LruCache();
    cache.set('f', false);
    cache.set('z', 0);
    expect([cache.get('f'), cache.get('z'), cache.has('f')]).toEqual([false, 0, true]);
  });

  it('deletes and clears', () => {
    const cache = new LruCache();
    cache.set('a', 1);
    cache.set('b', 2);
    expect(cache.delete('a')).toBe(true);
    expect(cache.size).toBe(1);
    cache.clear();
    expect(cache.size).toBe(0);
  });

  it('refuses a bad maxEntries', () => {
    expect(() => new LruCache({ maxEntries: 0 })).toThrow(/"maxEntries": expected an integer >= 1, got 0/);
  });
});

describe('cacheKey', () => {
  const parts = { systemPrompt: 'S', template: 'T', instruction: 'I', vars: { a: 1, b: [1, 2] }, indexField: 'index', valueField: 'sentiment', format: 'json', text: 'Great phone' };

  it('is a sha256 hex digest, stable across key order', () => {
    const key = cacheKey('m', parts);
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(cacheKey('m', { ...parts, vars: { b: [1, 2], a: 1 } })).toBe(key);
    expect(cacheKey('m', { text: 'Great phone', format: 'json', valueField: 'sentiment', indexField: 'index', vars: parts.vars, instruction: 'I', template: 'T', systemPrompt: 'S' })).toBe(key);
  });

  it('changes with the model and with every part that changes the answer', () => {
    const key = cacheKey('m', parts);
    const variants = [
      cacheKey('other', parts),
      cacheKey('m', { ...parts, systemPrompt: 'S2' }),
      cacheKey('m', { ...parts, template: 'T2' }),
      cacheKey('m', { ...parts, instruction: 'I2' }),
      cacheKey('m', { ...parts, vars: { a: 2, b: [1, 2] } }),
      cacheKey('m', { ...parts, indexField: 'i' }),
      cacheKey('m', { ...parts, valueField: 'label' }),
      cacheKey('m', { ...parts, format: 'xml' }),
      cacheKey('m', { ...parts, text: 'Great phone!' }),
      cacheKey('m', { ...parts, extra: { temperature: 1 } }),
    ];
    expect(new Set([key, ...variants]).size).toBe(variants.length + 1);
  });

  it('tells apart values JSON would blur', () => {
    expect(stableJson({ a: [undefined, 1] })).toBe('{"a":[null,1]}');
    expect(cacheKey('m', { text: 'x', vars: { n: Infinity } })).not.toBe(cacheKey('m', { text: 'x', vars: { n: null } }));
    expect(cacheKey('m', { text: 'x', vars: { d: new Date(0) } })).not.toBe(cacheKey('m', { text: 'x', vars: { d: new Date(1) } }));
  });

  it('runCacheKey resolves the defaults, so the same request spelled two ways keys alike', () => {
    const implicit = runCacheKey('m', resolveOptions({ valueField: 'sentiment' }));
    const explicit = runCacheKey('m', resolveOptions({ 'response.value.field': 'sentiment', instruction: 'For each input below, give its sentiment.', responseFormat: 'json' }));
    expect(implicit('Great')).toBe(explicit('Great'));
    expect(implicit('Great')).not.toBe(implicit('Awful'));
    expect(runCacheKey('m', resolveOptions({ valueField: 'sentiment', temperature: 1 }))('Great')).not.toBe(implicit('Great'));
    expect(runCacheKey('m', resolveOptions({ valueField: 'sentiment', responseFormat: 'xml' }))('Great')).not.toBe(implicit('Great'));
  });
});

describe('runCacheKey and value schemas', () => {
  const key = (schema?: z.ZodType, structuredOutput: 'off' | 'json_schema' = 'off') => runCacheKey('m', resolveOptions({ valueField: 'v', valueSchema: schema, structuredOutput }))('x');

  it('keys the raw answer, not the schema, unless the schema shapes the request', () => {
    // The cache keeps what the model said; every hit is checked against the run's own schema.
    expect(key(z.enum(['a', 'b']))).toBe(key(z.enum(['a', 'c'])));
    expect(key(z.string().transform((s) => s.length))).toBe(key());
    // With structured output the schema goes to the provider, so the request (and answer) differ.
    expect(key(z.enum(['a', 'b']), 'json_schema')).not.toBe(key(z.enum(['a', 'c']), 'json_schema'));
    expect(key(z.enum(['a', 'b']), 'json_schema')).toBe(key(z.enum(['a', 'b']), 'json_schema'));
  });

  it('checks a hit against the run’s schema: a transform applies, a rejecting schema gives a schema error', async () => {
    const cache = new LruCache();
    const model = answerModel(labelAll(() => 'positive', 'v'));
    const options = { valueField: 'v', cache, batchTimeoutMs: 0 };
    await predictAll(model, ['x'], { ...options, valueSchema: z.string() });
    expect(model.requests).toHaveLength(1);

    const lengths = await predictAll(model, ['x'], { ...options, valueSchema: z.string().transform((s) => s.length) });
    expect(lengths[0]).toMatchObject({ ok: true, value: 8, meta: { via: 'cache' } });

    const enums = await predictAll(model, ['x'], { ...options, valueSchema: z.enum(['yes', 'no']) });
    expect(enums[0]).toMatchObject({ ok: false, error: { code: 'schema' }, meta: { via: 'cache' } });
    expect(model.requests).toHaveLength(1);
  });
});
