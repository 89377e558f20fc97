/**
 * The RxJS helpers: mlPredict on virtual time (marblePredict, playVirtual,
 * virtualLatency), and the jest fake-timer pattern the docs describe.
 */
import { Subject, VirtualTimeScheduler, map, timer } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { mlPredict, type PredictResult } from '@mlpredict/core';
import { coldMarbles, marblePredict } from '../rx/marble-predict.js';
import { playVirtual, virtualLatency } from '../rx/virtual-time.js';
import { ruleModel } from '../fakes/rule-model.js';

const upper = () => ruleModel((text) => text.toUpperCase());
const framesOf = (run: { results: Array<{ frame: number; result: PredictResult<string, unknown> }> }) =>
  run.results.map(({ frame, result }) => [frame, result.value]);

it('a partial batch is flushed by batchTimeoutMs, counted in virtual frames', async () => {
  const model = upper();
  const run = await marblePredict(model, 'a-b-------c---|', { options: { batchSize: 5, batchTimeoutMs: 4 } });
  expect(framesOf(run)).toEqual([
    [4, 'A'],
    [4, 'B'],
    // c's own batch: its timer would fire at 14, but completion at 14 flushes it first.
    [14, 'C'],
  ]);
  expect(run.completedAt).toBe(14);
  expect(model.calls).toHaveLength(2);
});

it('a full batch goes at once, before its timeout', async () => {
  const run = await marblePredict(upper(), 'ab-c-d|', { options: { batchSize: 2, batchTimeoutMs: 100 } });
  expect(framesOf(run)).toEqual([
    [1, 'A'],
    [1, 'B'],
    [5, 'C'],
    [5, 'D'],
  ]);
  expect(run.completedAt).toBe(6);
});

it('results keep input order while a later batch is answered first; ordered: false emits as answered', async () => {
  // Batch [a, b] goes at frame 1 and takes 10 frames; batch [c, d] goes at 3 and takes 1.
  const slowFirst = (scheduler: VirtualTimeScheduler) => virtualLatency(upper(), scheduler, (_request, call) => (call === 1 ? 10 : 1));

  const inOrder = new VirtualTimeScheduler();
  const ordered = await marblePredict(slowFirst(inOrder), 'abcd|', { scheduler: inOrder, options: { batchSize: 2, concurrency: 2 } });
  expect(framesOf(ordered)).toEqual([
    [11, 'A'],
    [11, 'B'],
    [11, 'C'],
    [11, 'D'],
  ]);
  expect(ordered.results.map((r) => r.result.seq)).toEqual([0, 1, 2, 3]);
  expect(ordered.completedAt).toBe(11);

  const asAnswered = new VirtualTimeScheduler();
  const unordered = await marblePredict(slowFirst(asAnswered), 'abcd|', { scheduler: asAnswered, options: { batchSize: 2, concurrency: 2, ordered: false } });
  expect(framesOf(unordered)).toEqual([
    [4, 'C'],
    [4, 'D'],
    [11, 'A'],
    [11, 'B'],
  ]);
});

it('concurrency 1 holds the second batch until the first is answered', async () => {
  const scheduler = new VirtualTimeScheduler();
  const model = virtualLatency(upper(), scheduler, 5);
  const run = await marblePredict(model, '(abcd)|', { scheduler, options: { batchSize: 2, concurrency: 1 } });
  expect(framesOf(run)).toEqual([
    [5, 'A'],
    [5, 'B'],
    [10, 'C'],
    [10, 'D'],
  ]);
});

it('values map marble characters to records; a source error reaches the output', async () => {
  const run = await marblePredict(upper(), 'a-#', { values: { a: 'great phone' }, error: new Error('source broke'), options: { batchSize: 1 } });
  expect(framesOf(run)).toEqual([[0, 'GREAT PHONE']]);
  expect(run.error?.frame).toBe(2);
  expect((run.error?.error as Error).message).toBe('source broke');
});

it('playVirtual drives any observable on a virtual clock and refuses to run forever', async () => {
  const scheduler = new VirtualTimeScheduler();
  expect(await playVirtual(timer(5, scheduler).pipe(map(() => 'ding')), scheduler)).toEqual({ values: [{ frame: 5, value: 'ding' }], completedAt: 5 });
  const never = coldMarbles('a-', undefined, undefined, scheduler);
  await expect(playVirtual(never, scheduler, { idleTimeoutMs: 20 })).rejects.toThrow(/did not complete/);
  await expect(playVirtual(timer(0, 10, scheduler), scheduler, { maxFrames: 50 })).rejects.toThrow(/maxFrames/);
});

it('virtualLatency honors abort: unsubscribing mid-call rejects the held answer', async () => {
  const scheduler = new VirtualTimeScheduler();
  const model = virtualLatency(upper(), scheduler, 100);
  const controller = new AbortController();
  const answer = model.complete({ messages: [{ role: 'user', content: 'hi' }], signal: controller.signal });
  controller.abort();
  await expect(answer).rejects.toMatchObject({ kind: 'aborted' });
  expect(scheduler.actions).toHaveLength(0);
  expect(model.calls).toHaveLength(1);
});

it('why: under TestScheduler.run the model answer settles after the flush, so no result has a frame', () => {
  const testScheduler = new TestScheduler((a, b) => expect(a).toEqual(b));
  const seen: string[] = [];
  testScheduler.run(({ cold }) => {
    cold('a-b|').pipe(mlPredict(upper(), { batchSize: 5, batchTimeoutMs: 2, scheduler: testScheduler })).subscribe((r) => seen.push(String(r.value)));
  });
  // Every frame has run, yet the answer is still a pending promise.
  expect(seen).toEqual([]);
});

describe('jest fake timers (no scheduler option)', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('advanceTimersByTimeAsync flushes the batch timeout and the answer promises', async () => {
    const source = new Subject<string>();
    const seen: unknown[] = [];
    const subscription = source.pipe(mlPredict(upper(), { batchSize: 10, batchTimeoutMs: 100 })).subscribe((r) => seen.push(r.value));
    source.next('a');
    source.next('b');
    await jest.advanceTimersByTimeAsync(99);
    expect(seen).toEqual([]);
    await jest.advanceTimersByTimeAsync(1);
    expect(seen).toEqual(['A', 'B']);
    subscription.unsubscribe();
  });
});
