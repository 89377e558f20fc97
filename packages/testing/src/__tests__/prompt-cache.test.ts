/**
 * The simulator's prefix cache (issue 16.4): prompts that begin the same report
 * the shared part as cached, in OpenAI's increments, over real HTTP.
 */
import fc from 'fast-check';
import OpenAI from 'openai';
import { startSimulator } from '@mlpredict/testing';
import { PromptCache } from '../simulator/prompt-cache';

describe('PromptCache', () => {
  it('reports the longest prefix seen before, as minTokens plus whole blocks; short prompts are never cached', () => {
    const cache = new PromptCache({ minTokens: 8, blockTokens: 4 });
    const stable = 'x'.repeat(48); // 12 tokens
    expect(cache.lookup(`${stable}first record`)).toBe(0);
    expect(cache.lookup(`${stable}other record`)).toBe(12);
    expect(cache.lookup(`${'x'.repeat(36)}y${'x'.repeat(20)}`)).toBe(8); // differs inside the third block
    expect(cache.lookup('x'.repeat(28))).toBe(0); // 7 tokens: under minTokens
    expect(cache.lookup(`y${stable}`)).toBe(0); // a different start shares nothing
  });

  it('property: the cached part is a prefix both prompts share, never more than the prompt', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 0, maxLength: 200 }), fc.string({ maxLength: 80 }), fc.string({ maxLength: 80 }), (shared, a, b) => {
        const cache = new PromptCache({ minTokens: 4, blockTokens: 2 });
        cache.lookup(shared + a);
        const cached = cache.lookup(shared + b);
        expect(cached * 4).toBeLessThanOrEqual((shared + b).length);
        expect((shared + a).slice(0, cached * 4)).toBe((shared + b).slice(0, cached * 4));
        expect(cached === 0 || (cached >= 4 && cached % 2 === 0)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('over HTTP: answers carry usage.prompt_tokens_details.cached_tokens, and stats count them', async () => {
    const sim = await startSimulator({ promptCache: { minTokens: 32, blockTokens: 16 } });
    try {
      const client = new OpenAI({ baseURL: sim.url, apiKey: 'k', maxRetries: 0 });
      const system = `You classify reviews. ${'Be careful and consistent. '.repeat(10)}`;
      const ask = (review: string) => client.chat.completions.create({ model: 'm', messages: [{ role: 'system', content: system }, { role: 'user', content: `Input 1: "${review}"` }] });
      const first = await ask('Great phone');
      const second = await ask('It broke');
      expect(first.usage?.prompt_tokens_details?.cached_tokens).toBe(0);
      const cached = second.usage!.prompt_tokens_details!.cached_tokens!;
      expect(cached).toBeGreaterThanOrEqual(32);
      expect(cached).toBeLessThanOrEqual(second.usage!.prompt_tokens);
      expect(sim.stats.cachedPromptTokens).toBe(cached);
      sim.configure({ promptCache: undefined });
      expect((await ask('Blue')).usage?.prompt_tokens_details).toBeUndefined();
    } finally {
      await sim.close();
    }
  });

  it('refuses settings it does not know', async () => {
    await expect(startSimulator({ promptCache: { minTokens: 0 } })).rejects.toThrow('promptCache.minTokens must be an integer ≥ 1');
    await expect(startSimulator({ promptCache: { block: 3 } as never })).rejects.toThrow('unknown promptCache setting "block"');
  });
});
