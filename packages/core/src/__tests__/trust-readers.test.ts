/**
 * Issue 11, points 1 and 2: an answer whose numbering drifted is never mapped by
 * position, and a lone record's value never comes from a fragment of prose.
 */
import { predictAll } from '@mlpredict/core';
import { readJsonAnswers } from '@mlpredict/core/internals';
import { readXmlAnswers } from '../formats/xml/read-xml-answers';
import { RESPONSE_FORMATS } from '../formats/registry';
import { reconcile } from '../predict/reconcile';
import { answerModel, upper, type PromptRecord } from './support/answer-model';

const fast = { batchTimeoutMs: 0, retry: { strategy: 'fixed' as const, baseDelayMs: 1, maxDelayMs: 1 }, circuitBreaker: false as const };
const json = { responsePath: '$[*]', indexField: 'index', valueField: 'answer' };
const answersOf = (records: PromptRecord[], index: (r: PromptRecord, i: number) => number, value = (r: PromptRecord) => upper(r.text)) =>
  JSON.stringify(records.map((r, i) => ({ index: index(r, i), answer: value(r) })));
const words = (n: number) => Array.from({ length: n }, (_, i) => `word ${i}`);

describe('reconcile distrusts a drifted numbering whole (11.1)', () => {
  const pairs = (...list: Array<[number, string]>) => list.map(([index, value]) => ({ index, value }));

  it('all indices one too high: no value, every record missing, untrusted', () => {
    const r = reconcile(pairs([2, 'a'], [3, 'b'], [4, 'c']), 3, 1);
    expect(r).toMatchObject({ untrusted: true, missing: [0, 1, 2] });
    expect(r.values.size).toBe(0);
  });

  it('an invented item and the list renumbered (N+1 items): untrusted', () => {
    expect(reconcile(pairs([1, 'x'], [2, 'a'], [3, 'b'], [4, 'c']), 3, 1).untrusted).toBe(true);
    // From 0 the same lie reaches index N, which looks like the other base but isn't a complete one.
    expect(reconcile(pairs([0, 'x'], [1, 'a'], [2, 'b'], [3, 'c']), 3, 0).untrusted).toBe(true);
  });

  it('a truncated answer is distrusted as well when an index is outside the batch', () => {
    expect(reconcile(pairs([2, 'a'], [5, 'b']), 4, 1, true).untrusted).toBe(true);
  });

  it('keeps the documented shift of a complete answer in the other base, and identical duplicates', () => {
    const shifted = reconcile(pairs([0, 'a'], [1, 'b'], [2, 'c'], [2, 'c']), 3, 1);
    expect(shifted.untrusted).toBe(false);
    expect([...shifted.values.entries()]).toEqual([[0, 'a'], [1, 'b'], [2, 'c']]);
  });
});

describe('drifted answers through predictAll are asked again, never mapped by position', () => {
  it('an answer with every index one too high is re-asked: no neighbour values', async () => {
    const model = answerModel((records, _request, call) => answersOf(records, (r) => (call === 1 ? r.index + 1 : r.index)));
    const results = await predictAll(model, words(4), fast);
    expect(results.map((r) => r.value)).toEqual(words(4).map(upper));
    // The lie is thrown away whole; the halves are asked again.
    expect(model.requests).toHaveLength(3);
  });

  it('a numbering one too high that was cut off is re-asked: no neighbour values', async () => {
    // `[{"index":2,…},{"index":3,…}` for 4 records: never closed, so read as cut off.
    const model = answerModel((records, _request, call) => (call === 1 ? answersOf(records.slice(0, 2), (r) => r.index + 1).slice(0, -1) : answersOf(records, (r) => r.index)));
    const results = await predictAll(model, words(4), fast);
    expect(results.map((r) => r.value)).toEqual(words(4).map(upper));
  });

  it('a numbering one too high that lost its last item is found out by asking without the first record', async () => {
    // A model that always numbers one too high and always drops its last item: never a neighbour's value.
    const liar = answerModel((records) => answersOf(records.slice(0, -1), (r) => r.index + 1));
    const results = await predictAll(liar, words(4), fast);
    expect(results.every((r) => !r.ok)).toBe(true);
  });

  it('a first record left out costs one request more, not a split, and every other record keeps its value', async () => {
    const model = answerModel((records) => answersOf(records.filter((r) => r.text !== 'word 0'), (r) => r.index));
    const results = await predictAll(model, words(4), fast);
    expect(results.map((r) => r.value ?? r.error?.code)).toEqual(['missing', ...words(4).slice(1).map(upper)]);
    // The batch, the rest without its first record, then the first alone three times.
    expect(model.requests.map((r) => r.messages.at(-1)!.content.split('\nInput ').length - 1)).toEqual([4, 3, 1, 1, 1]);
  });

  it('an invented item with the list renumbered is re-asked', async () => {
    const model = answerModel((records, _request, call) =>
      call === 1 ? answersOf([{ index: 0, text: 'invented' }, ...records], (_, i) => i + 1) : answersOf(records, (r) => r.index),
    );
    const results = await predictAll(model, words(3), fast);
    expect(results.map((r) => r.value)).toEqual(words(3).map(upper));
  });

  it('a model that keeps lying leaves coded errors, never a wrong value', async () => {
    const model = answerModel((records) => answersOf(records, (r) => r.index + 1));
    const results = await predictAll(model, words(5), fast);
    expect(results.every((r) => r.value === undefined && r.error?.code === 'parse')).toBe(true);
    expect(results[0]!.error!.message).toMatch(/could not be read, even alone/);
  });

  it('votes only tally trusted answers: two lying rounds of three cannot outvote the honest one', async () => {
    // Rounds 1 and 2 shift every index by one (as the old reconcile would have half-accepted), round 3 is right.
    const model = answerModel((records, _request, call) => answersOf(records, (r) => (call <= 2 ? r.index + 1 : r.index)));
    const results = await predictAll(model, words(5), { ...fast, votes: 3 });
    expect(model.requests).toHaveLength(3);
    expect(results.map((r) => r.value)).toEqual(words(5).map(upper));
  });
});

describe('nested arrays and lone records (11.2)', () => {
  it('reads an answer wrapped in one more array as the batch answer', () => {
    expect(readJsonAnswers('[[{"index": 1, "answer": "a"}, {"index": 2, "answer": "b"}]]', json).answers).toEqual([
      { index: 1, value: 'a' },
      { index: 2, value: 'b' },
    ]);
    expect(readJsonAnswers('[{"results": [{"index": 1, "answer": "a"}]}]', json).answers).toEqual([{ index: 1, value: 'a' }]);
  });

  it('never takes a bracketed fragment of prose as a value', () => {
    for (const text of ["I'd rate it 4 out of [5]", 'The review says: see note [12]', 'Answer: {"answer": "positive"} I think']) {
      const read = readJsonAnswers(text, json);
      expect(read).toMatchObject({ answers: [], unusable: true });
      expect(read.unindexed).toBeUndefined();
    }
  });

  it('offers an unindexed value only when it is the entire reply, fences and space aside', () => {
    expect(readJsonAnswers('  {"answer": "positive"}\n', json).unindexed).toBe('positive');
    expect(readJsonAnswers('```json\n{"answer": "positive"}\n```', json).unindexed).toBe('positive');
    expect(readJsonAnswers('[{"answer": "positive"}]', json).unindexed).toBe('positive');
    // Two unindexed items can't both be the one record's; an inner array is no value.
    expect(readJsonAnswers('[{"answer": "a"}, {"answer": "b"}]', json).unindexed).toBeUndefined();
    expect(readJsonAnswers('[[{"answer": "a"}]]', json).unindexed).toBeUndefined();
  });

  it('reads a list of index objects as a batch answer, even for one record', () => {
    const read = readJsonAnswers('[{"index": 7, "answer": "x"}]', json);
    expect(read.answers).toEqual([{ index: 7, value: 'x' }]);
    expect(read.unindexed).toBeUndefined();
  });

  it('reads past a bracketed fragment to the JSON that holds the answers', () => {
    expect(readJsonAnswers('About input 1 [see note [12]]: [{"index": 1, "answer": "a"}]', json).answers).toEqual([{ index: 1, value: 'a' }]);
  });

  it('xml: a bare value element or unindexed item only as the entire reply', () => {
    const xml = { indexField: 'index', valueField: 'sentiment' };
    expect(readXmlAnswers('```xml\n<sentiment>positive</sentiment>\n```', xml).unindexed).toBe('positive');
    expect(readXmlAnswers('<item><sentiment>positive</sentiment></item>', xml).unindexed).toBe('positive');
    expect(readXmlAnswers('Well, <sentiment>positive</sentiment> I guess', xml).unindexed).toBeUndefined();
    expect(readXmlAnswers('<item index="x"><sentiment>positive</sentiment></item>', xml).unindexed).toBeUndefined();
  });

  it('through predictAll: a lone record answered in prose with a bracket gets a parse error, not the bracket', async () => {
    const model = answerModel(() => "It's good, I'd rate it 4 out of [5]");
    const [result] = await predictAll(model, ['see note [12]'], fast);
    expect(result!.value).toBeUndefined();
    expect(result!.error).toMatchObject({ code: 'parse' });
  });

  it('through predictAll: a nested batch answer gives every record its value at once', async () => {
    const model = answerModel((records) => `[${answersOf(records, (r) => r.index)}]`);
    const results = await predictAll(model, words(4), fast);
    expect(results.map((r) => r.value)).toEqual(words(4).map(upper));
    expect(model.requests).toHaveLength(1);
  });
});

describe('a reader that fails is a parse outcome, never a rejected run (11.3)', () => {
  it('a model whose text is not a string leaves parse errors', async () => {
    const model = answerModel(() => ({ text: [{ type: 'text', text: '[]' }] as unknown as string }));
    const results = await predictAll(model, words(2), fast);
    expect(results.map((r) => r.error?.code)).toEqual(['parse', 'parse']);
  });
});

describe('a reply with more answers than any batch is a loop, not an answer (11.6)', () => {
  it.each([
    ['delimited', (n: number) => '1|a\n'.repeat(n)],
    ['xml', (n: number) => '<item index="1">a</item>'.repeat(n)],
    ['json', (n: number) => JSON.stringify(Array.from({ length: n }, () => ({ index: 1, answer: 'a' })))],
  ] as const)('%s: 20 000 answers are read, 20 001 are not', (format, reply) => {
    const read = (text: string) => RESPONSE_FORMATS[format].read(text, { ...json, delimiter: '|' });
    expect(read(reply(20_000)).answers).toHaveLength(20_000);
    const loop = read(reply(20_001));
    expect(loop).toMatchObject({ answers: [], unusable: true });
    expect(loop.warnings.join()).toMatch(/more than 20000 answers in one reply/);
  });
});
