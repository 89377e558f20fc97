/**
 * predictDeferred's reading of a job's outcomes: the real-time repair rules,
 * applied to answers that came back from a job (settle-lines.ts).
 */
import { ModelCallError, type BatchLineOutcome, type PredictErrorInfo } from '@mlpredict/core';
import { resolveOptions } from '@mlpredict/core/internals';
import { z } from 'zod';
import { settleLines, type SettleLinesContext } from '../deferred/settle-lines';
import type { PlannedGroup } from '../deferred/plan-round';
import type { Settlement, WorkItem } from '../predict/work-item';

const texts = ['good one', 'bad one', 'meh', 'great', 'awful', 'fine'];

function setup(options: Parameters<typeof resolveOptions>[0] = {}) {
  const resolved = resolveOptions({ valueField: 'sentiment', ...options });
  const items: WorkItem[] = texts.map((text, seq) => ({ seq, key: seq, input: text, text, tokens: 3, batchId: 0, attempts: 0, repairs: 0, triesAlone: 0, admittedAt: 0, startedAt: 0, done: false, failed: false }));
  const settled = new Map<number, Settlement>();
  const ctx: SettleLinesContext = {
    parse: resolved.parse,
    repair: resolved.repair,
    settle: (item, settlement) => {
      expect(settled.has(item.seq)).toBe(false);
      settled.set(item.seq, settlement);
    },
    noOutcome: (id) => `no outcome for ${id}`,
  };
  return { items, settled, ctx };
}

const answer = (id: string, text: string, finishReason = 'stop'): BatchLineOutcome => ({ id, ok: true, response: { text, finishReason } });
const json = (pairs: Array<[number, string]>) => JSON.stringify(pairs.map(([index, sentiment]) => ({ index, sentiment })));
const valueOf = (s: Settlement | undefined) => (s && 'value' in s ? s.value : undefined);
const codeOf = (s: Settlement | undefined): PredictErrorInfo['code'] | undefined => (s && 'error' in s ? s.error.code : undefined);

it('matches answers by index, never by position, and counts the line as one request per record', async () => {
  const { items, settled, ctx } = setup();
  const groups: PlannedGroup[] = [{ id: 'batch-0', seqs: [0, 1, 2] }];
  const outcomes = new Map([['batch-0', answer('batch-0', json([[3, 'neutral'], [1, 'positive'], [2, 'negative']]))]]);
  const { repairs } = await settleLines(groups, outcomes, items, ctx);
  expect(repairs).toEqual([]);
  expect([0, 1, 2].map((seq) => valueOf(settled.get(seq)))).toEqual(['positive', 'negative', 'neutral']);
  expect(items.slice(0, 3).map((i) => i.attempts)).toEqual([1, 1, 1]);
});

it('records left out are asked again together; the rest keep their values', async () => {
  const { items, settled, ctx } = setup();
  const outcomes = new Map([['batch-0', answer('batch-0', json([[1, 'positive'], [4, 'neutral'], [2, 'negative']]))]]);
  const { repairs } = await settleLines([{ id: 'batch-0', seqs: [0, 1, 2, 3] }], outcomes, items, ctx);
  expect(repairs).toEqual([{ seqs: [2], failure: { code: 'missing', message: expect.stringContaining('left this record out') } }]);
  expect([...settled.keys()].sort()).toEqual([0, 1, 3]);
  expect(items[2]!.repairs).toBe(1);
  expect(items[0]!.repairs).toBe(0);
});

it('an answer that cannot be read splits its group in halves; a lone record gets two more tries, then a parse error', async () => {
  const { items, settled, ctx } = setup();
  const notJson = (id: string) => answer(id, 'Sorry, I cannot help with that.');
  let { repairs } = await settleLines([{ id: 'a', seqs: [0, 1, 2, 3, 4] }], new Map([['a', notJson('a')]]), items, ctx);
  expect(repairs.map((g) => g.seqs)).toEqual([[0, 1, 2], [3, 4]]);
  expect(repairs[0]!.failure.code).toBe('parse');

  for (let round = 1; round <= 2; round++) {
    ({ repairs } = await settleLines([{ id: `lone-${round}`, seqs: [5] }], new Map([[`lone-${round}`, notJson(`lone-${round}`)]]), items, ctx));
    expect(repairs).toEqual([{ seqs: [5], failure: expect.objectContaining({ code: 'parse' }) }]);
  }
  ({ repairs } = await settleLines([{ id: 'lone-3', seqs: [5] }], new Map([['lone-3', notJson('lone-3')]]), items, ctx));
  expect(repairs).toEqual([]);
  expect(settled.get(5)).toEqual({ error: { code: 'parse', message: expect.stringContaining('even alone') }, via: 'single' });
  expect(items[5]!.attempts).toBe(3);
});

it('an answer whose index base cannot be told is asked again, never guessed', async () => {
  const { items, settled, ctx } = setup();
  // A 1-based prompt of 3: indices 0 and 1 could be 0-based (missing its last) or 1-based (missing 2 and 3).
  const outcomes = new Map([['b', answer('b', json([[0, 'positive'], [1, 'negative']]))]]);
  const { repairs } = await settleLines([{ id: 'b', seqs: [0, 1, 2] }], outcomes, items, ctx);
  expect(settled.size).toBe(0);
  expect(repairs.map((g) => g.seqs)).toEqual([[0, 1], [2]]);
});

it('failed, expired, cancelled and absent lines are asked again whole, with the error they end with otherwise', async () => {
  const { items, settled, ctx } = setup();
  const outcomes = new Map<string, BatchLineOutcome>([
    ['f', { id: 'f', ok: false, reason: 'error', error: new ModelCallError('The server had an error', { kind: 'http', status: 500 }) }],
    ['e', { id: 'e', ok: false, reason: 'expired', error: new ModelCallError('expired', { kind: 'http' }) }],
    ['c', { id: 'c', ok: false, reason: 'cancelled', error: new ModelCallError('cancelled', { kind: 'http' }) }],
  ]);
  const groups = [
    { id: 'f', seqs: [0, 1] },
    { id: 'e', seqs: [2] },
    { id: 'c', seqs: [3] },
    { id: 'gone', seqs: [4, 5] },
  ];
  const { repairs } = await settleLines(groups, outcomes, items, ctx);
  expect(settled.size).toBe(0);
  expect(repairs).toEqual([
    { seqs: [0, 1], failure: { code: 'http', message: 'HTTP 500: The server had an error', status: 500 } },
    { seqs: [2], failure: { code: 'timeout', message: expect.stringContaining('expired') } },
    { seqs: [3], failure: { code: 'aborted', message: expect.stringContaining('cancelled') } },
    { seqs: [4, 5], failure: { code: 'http', message: 'no outcome for gone' } },
  ]);
  // Only the line that ran was a request.
  expect(items.map((i) => i.attempts)).toEqual([1, 1, 0, 0, 0, 0]);
});

it('a line over the context window splits in halves; a lone record over it is too_large at once', async () => {
  const { items, settled, ctx } = setup();
  const overflow = (id: string): BatchLineOutcome => ({ id, ok: false, reason: 'error', error: new ModelCallError("This model's maximum context length is 3000 tokens", { kind: 'context_length', status: 400 }) });
  const { repairs } = await settleLines(
    [
      { id: 'big', seqs: [0, 1, 2, 3] },
      { id: 'one', seqs: [4] },
    ],
    new Map([
      ['big', overflow('big')],
      ['one', overflow('one')],
    ]),
    items,
    ctx,
  );
  expect(repairs.map((g) => [g.seqs, g.failure.code])).toEqual([
    [[0, 1], 'too_large'],
    [[2, 3], 'too_large'],
  ]);
  expect(codeOf(settled.get(4))).toBe('too_large');
});

it("fallback: 'none' settles what an answer left out instead of asking again", async () => {
  const { items, settled, ctx } = setup({ fallback: 'none' });
  // Indices 1 and 3 of three: the numbering is trusted (the last index is there), index 2 was left out.
  const { repairs } = await settleLines([{ id: 'a', seqs: [0, 1, 2] }], new Map([['a', answer('a', json([[1, 'positive'], [3, 'negative']]))]]), items, ctx);
  expect(repairs).toEqual([]);
  expect(valueOf(settled.get(0))).toBe('positive');
  expect(codeOf(settled.get(1))).toBe('missing');
});

it('valueSchema checks each value as in real time; failures are schema errors, not repaired', async () => {
  const { items, settled, ctx } = setup({ valueSchema: z.enum(['positive', 'negative']) });
  const { repairs } = await settleLines([{ id: 'a', seqs: [0, 1] }], new Map([['a', answer('a', json([[1, 'positive'], [2, 'meh']]))]]), items, ctx);
  expect(repairs).toEqual([]);
  expect(valueOf(settled.get(0))).toBe('positive');
  expect(settled.get(1)).toEqual({ error: { code: 'schema', message: expect.stringContaining('"meh"') }, via: 'batch' });
});

it('a truncated answer keeps its complete items and asks again for the rest', async () => {
  const { items, settled, ctx } = setup();
  const cut = `[{"index": 1, "sentiment": "positive"}, {"index": 2, "sentiment": "neg`;
  const { repairs } = await settleLines([{ id: 'a', seqs: [0, 1, 2] }], new Map([['a', answer('a', cut, 'length')]]), items, ctx);
  expect(valueOf(settled.get(0))).toBe('positive');
  expect(repairs.map((g) => g.seqs)).toEqual([[1, 2]]);
});
