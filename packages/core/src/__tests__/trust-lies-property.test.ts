/**
 * Issue 11, point 1, as a property: whatever mix of numbering lies a model tells
 * (shifted, cut off, renumbered, duplicated, nested, keyed, the wrong count), at
 * any batch size, with votes and the cache, every record comes back once, in
 * order, and every value it gets is its own.
 */
import fc from 'fast-check';
import { predictAll } from '@mlpredict/core';
import { LruCache } from '../cache/lru-cache';
import { answerModel, upper } from './support/answer-model';

const LIES = ['none', 'shiftUp', 'shiftDown', 'shiftUpDropLast', 'shiftUpCut', 'insert', 'dup', 'drop', 'cut', 'nested', 'shiftDownDropLast', 'extraCount', 'keyed', 'shiftUpKeyedDropLast', 'dropFirst'] as const;
type Lie = (typeof LIES)[number];

function answerFor(records: Array<{ index: number; text: string }>, lie: Lie, rnd: () => number): string {
  let items = records.map((r) => ({ index: r.index, answer: upper(r.text) }));
  const n = items.length;
  switch (lie) {
    case 'shiftUpDropLast': items = items.map((i) => ({ ...i, index: i.index + 1 })).slice(0, -1); break;
    case 'shiftUpKeyedDropLast': return JSON.stringify(Object.fromEntries(items.slice(0, -1).map((i) => [String(i.index + 1), i.answer])));
    case 'dropFirst': items = items.slice(1); break;
    case 'shiftUp': items = items.map((i) => ({ ...i, index: i.index + 1 })); break;
    case 'shiftDown': items = items.map((i) => ({ ...i, index: i.index - 1 })); break;
    case 'shiftUpDropLast': items = items.map((i) => ({ ...i, index: i.index + 1 })).slice(0, -1); break;
    case 'shiftDownDropLast': items = items.map((i) => ({ ...i, index: i.index - 1 })).slice(0, -1); break;
    case 'shiftUpCut': { const s = JSON.stringify(items.map((i) => ({ ...i, index: i.index + 1 })).slice(0, Math.max(1, Math.floor(n / 2)))); return s.slice(0, -1); }
    case 'insert': items = [{ index: 0, answer: 'INVENTED' }, ...items].map((i, k) => ({ ...i, index: k + 1 })); break;
    case 'dup': if (n > 1) items.push({ index: items[0]!.index, answer: items[1]!.answer }); break;
    case 'drop': items = items.filter(() => rnd() > 0.3); break;
    case 'cut': { const s = JSON.stringify(items.slice(0, Math.max(1, Math.floor(n / 2)))); return s.slice(0, -1); }
    case 'nested': return JSON.stringify([items]);
    case 'extraCount': items = [...items, { index: n + 1, answer: 'EXTRA' }]; break;
    case 'keyed': return JSON.stringify(Object.fromEntries(items.map((i) => [String(i.index), i.answer])));
    case 'shiftUpKeyedDropLast': return JSON.stringify(Object.fromEntries(items.slice(0, -1).map((i) => [String(i.index + 1), i.answer])));
    default: break;
  }
  if (lie !== 'none' && rnd() < 0.5) items.reverse();
  return JSON.stringify(items);
}

it('no lie, alone or mixed, ever gives a record a wrong value', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.constantFrom(...LIES), { minLength: 1, maxLength: 12 }),
      fc.integer({ min: 1, max: 9 }),
      fc.integer({ min: 1, max: 30 }),
      fc.constantFrom(1, 3),
      fc.boolean(),
      fc.integer(),
      async (lies, batchSize, count, votes, cache, seed) => {
        let s = seed >>> 0;
        const rnd = () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
        const model = answerModel((records, _request, call) => answerFor(records, lies[(call - 1) % lies.length]!, rnd));
        const inputs = Array.from({ length: count }, (_, i) => `w${i % 7 === 6 ? 0 : i}`);
        const results = await predictAll(model, inputs, { batchTimeoutMs: 0, retry: { strategy: 'fixed', baseDelayMs: 1, maxDelayMs: 1 }, circuitBreaker: false, batchSize, votes, ...(cache && { cache: new LruCache() }) });
        expect(results.map((r) => r.seq)).toEqual(inputs.map((_, i) => i));
        for (const r of results) if (r.ok) expect([r.input, r.value]).toEqual([r.input, upper(r.input as string)]);
      },
    ),
    { numRuns: 200 },
  );
}, 120_000);
