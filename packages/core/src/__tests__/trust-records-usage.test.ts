/**
 * Issue 11, point 5 (token counts that aren't numbers, from any model) and the
 * record part of point 10 (records whose JSON form would lose them).
 */
import { predictAll, RunStats } from '@mlpredict/core';
import { recordText } from '@mlpredict/core/internals';
import { answerModel, labelAll, upper } from './support/answer-model';

const fast = { batchTimeoutMs: 0, retry: { strategy: 'fixed' as const, baseDelayMs: 1, maxDelayMs: 1 } };

describe('records JSON would misrepresent are bad_input (11.10)', () => {
  it.each([
    ['null', null, /record is null/],
    ['NaN', NaN, /record is NaN, which JSON writes as null/],
    ['Infinity', Infinity, /record is Infinity, which JSON writes as null/],
    ['-Infinity', -Infinity, /record is -Infinity/],
    ['a Map', new Map([['a', 1]]), /record is a Map, which JSON writes as \{\} \(use Object.fromEntries\(map\)\)/],
    ['a Set', new Set([1]), /record is a Set, which JSON writes as \{\} \(use \[...set\]\)/],
    ['a nested NaN', { score: NaN }, /record \(at "score"\) is NaN/],
    ['a nested Set', { tags: new Set(['x']) }, /record \(at "tags"\) is a Set/],
    ['a BigInt', 10n, /record can't be written as JSON: Do not know how to serialize a BigInt/],
  ])('%s', (_name, record, message) => {
    expect(() => recordText(record, {})).toThrow(message);
  });

  it('a textField holding a lossy value is refused too; faithful values pass', () => {
    expect(() => recordText({ v: NaN }, { textField: 'v' })).toThrow(/field "v" is NaN/);
    expect(recordText({ v: 3 }, { textField: 'v' })).toBe('3');
    expect(recordText({ when: new Date(0), n: 1.5, ok: true, none: null }, {})).toBe('{"when":"1970-01-01T00:00:00.000Z","n":1.5,"ok":true,"none":null}');
    expect(recordText(0, {})).toBe('0');
  });

  it('through predictAll: each such record gets its own bad_input, unsent; the rest are answered', async () => {
    const model = answerModel(labelAll(upper));
    const inputs: unknown[] = ['a', null, NaN, new Map(), new Set(), 'b'];
    const results = await predictAll(model, inputs, fast);
    expect(results.map((r) => r.value ?? r.error!.code)).toEqual(['A', 'bad_input', 'bad_input', 'bad_input', 'bad_input', 'B']);
    expect(model.requests).toHaveLength(1);
    expect(model.requests[0]!.messages.at(-1)!.content).not.toMatch(/"null"|"\{\}"/);
  });
});

describe('token counts that are not numbers are ignored, from any model (11.5)', () => {
  it('meta.usage and the stats stay finite when a model reports NaN or strings', async () => {
    const model = answerModel((records) => ({
      text: labelAll(upper)(records, undefined as never, 0) as string,
      usage: { promptTokens: 'lots' as unknown as number, completionTokens: NaN },
    }));
    const stats = new RunStats({ prices: { promptPerMillion: 1, completionPerMillion: 1 } });
    const results = await predictAll(model, ['a', 'b'], { ...fast, stats });
    for (const r of results) expect(r.meta.usage).toBeUndefined();
    expect(stats.snapshot()).toMatchObject({ promptTokens: 0, completionTokens: 0, estimatedCost: 0 });
  });

  it('a finite count next to a garbage one is kept, the garbage one counts 0', async () => {
    const model = answerModel((records) => ({ text: labelAll(upper)(records, undefined as never, 0) as string, usage: { promptTokens: 10, completionTokens: Infinity } }));
    const stats = new RunStats();
    const results = await predictAll(model, ['a', 'b'], { ...fast, stats });
    expect(results.map((r) => r.meta.usage)).toEqual([
      { promptTokens: 5, completionTokens: 0 },
      { promptTokens: 5, completionTokens: 0 },
    ]);
    expect(stats.snapshot()).toMatchObject({ promptTokens: 10, completionTokens: 0 });
  });

  it('RunStats adds only counts, whatever event it is given', () => {
    const stats = new RunStats();
    stats.record({ type: 'request', batchId: 0, records: 1, attempt: 1, ok: true, usage: { promptTokens: '7' as unknown as number, completionTokens: -2 }, latencyMs: 1 });
    stats.record({ type: 'request', batchId: 0, records: 1, attempt: 1, ok: true, usage: { promptTokens: 7, completionTokens: 2 }, latencyMs: 1 });
    expect(stats.snapshot()).toMatchObject({ requests: 2, promptTokens: 7, completionTokens: 2 });
  });
});
