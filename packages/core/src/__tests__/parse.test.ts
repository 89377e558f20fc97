import { extractJson, readJsonAnswers } from '@mlpredict/core/internals';

const opts = { responsePath: '$[*]', indexField: 'index', valueField: 'sentiment' };

describe('extractJson', () => {
  it('reads plain, fenced, prose-wrapped and pretty JSON alike', () => {
    const value = [{ index: 1, sentiment: 'positive' }];
    const json = JSON.stringify(value);
    for (const [text, whole] of [
      [json, true],
      ['```json\n' + json + '\n```', true],
      ['Sure! Here are the results:\n' + json + '\nLet me know if you need more.', false],
      [JSON.stringify(value, null, 2), true],
      ['```\n' + JSON.stringify(value, null, 2) + '\n```', true],
    ] as const) {
      expect(extractJson(text)).toEqual({ kind: 'value', value, whole });
    }
  });

  it('skips bracketed prose before the JSON', () => {
    expect(extractJson('Results [see below]: [{"index": 2, "x": "[a]"}]')).toEqual({ kind: 'value', value: [{ index: 2, x: '[a]' }], whole: false });
  });

  it('salvages the complete items of a truncated array', () => {
    const got = extractJson('[{"index": 1, "sentiment": "pos"}, {"index": 2, "sentiment": "ne');
    expect(got).toEqual({ kind: 'partial', items: [{ index: 1, sentiment: 'pos' }] });
  });

  it('finds nothing in prose or emptiness', () => {
    expect(extractJson('')).toEqual({ kind: 'none' });
    expect(extractJson('I cannot help with that.')).toEqual({ kind: 'none' });
  });
});

describe('readJsonAnswers', () => {
  it('reads index and value fields, string indices included', () => {
    const read = readJsonAnswers('[{"index": "2", "sentiment": "negative"}, {"index": 1, "sentiment": "positive"}]', opts);
    expect(read.answers).toEqual([
      { index: 2, value: 'negative' },
      { index: 1, value: 'positive' },
    ]);
    expect(read.unusable).toBe(false);
  });

  it('finds the array inside a wrapping object when the path misses', () => {
    const read = readJsonAnswers('{"results": [{"index": 1, "sentiment": "neutral"}]}', opts);
    expect(read.answers).toEqual([{ index: 1, value: 'neutral' }]);
  });

  it('follows a responsePath', () => {
    const read = readJsonAnswers('{"data": {"items": [{"i": 3, "label": "x"}]}}', { responsePath: '$.data.items[*]', indexField: 'i', valueField: 'label' });
    expect(read.answers).toEqual([{ index: 3, value: 'x' }]);
  });

  it('reads an object keyed by index', () => {
    const read = readJsonAnswers('{"1": "positive", "2": "negative"}', opts);
    expect(read.answers).toEqual([
      { index: 1, value: 'positive' },
      { index: 2, value: 'negative' },
    ]);
  });

  it('takes the whole item (less its index) when there is no valueField', () => {
    const read = readJsonAnswers('[{"index": 1, "name": "Ada", "role": "engineer"}]', { responsePath: '$[*]', indexField: 'index' });
    expect(read.answers).toEqual([{ index: 1, value: { name: 'Ada', role: 'engineer' } }]);
  });

  it('ignores items without the value field, with a warning', () => {
    const read = readJsonAnswers('[{"index": 1}, {"index": 2, "sentiment": "positive"}]', opts);
    expect(read.answers).toEqual([{ index: 2, value: 'positive' }]);
    expect(read.warnings.join()).toMatch(/without "sentiment"/);
  });

  it('marks prose as unusable and never takes it as an answer', () => {
    const read = readJsonAnswers('positive', opts);
    expect(read.unusable).toBe(true);
    expect(read.unindexed).toBeUndefined();
  });

  it('offers an unindexed value for one-record requests', () => {
    expect(readJsonAnswers('{"sentiment": "positive"}', opts).unindexed).toBe('positive');
  });
});
