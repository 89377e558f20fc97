import { z } from 'zod';
import { ModelCallError, type CompletionRequest } from '@mlpredict/core';
import { answerModel, labelAll, upper } from './support/answer-model';
import { fakeModel, sleep } from './support/counting-model';
import { runSequence } from '../executor/run-sequence';
import { mapChain, type ChainItemResult } from '../executor/map-chain';
import type { TaskEndEvent } from '../executor/task-types';

const fast = { retry: { strategy: 'fixed' as const, baseDelayMs: 1, maxDelayMs: 1 } };


const lastUser = (request: CompletionRequest) => request.messages.filter((m) => m.role === 'user').at(-1)?.content ?? '';

describe('runSequence', () => {
  it('passes each answer forward as an assistant message, then the next prompt', async () => {
    const model = fakeModel((_request, call) => `A${call}`);
    const results = await runSequence(
      model,
      [
        { tag: 'draft', system: 'You write quiz questions.', prompt: 'Write one.' },
        { tag: 'improve', prompt: 'Make it harder.' },
        { tag: 'answer', prompt: 'Answer it.', parse: (text) => `parsed ${text}` },
      ],
      { passResult: true },
    );

    expect(results.map((r) => [r.tag, r.ok, r.value])).toEqual([
      ['draft', true, 'A1'],
      ['improve', true, 'A2'],
      ['answer', true, 'parsed A3'],
    ]);
    expect(model.requests[1]!.messages).toEqual([
      { role: 'system', content: 'You write quiz questions.' },
      { role: 'user', content: 'Write one.' },
      { role: 'assistant', content: 'A1' },
      { role: 'user', content: 'Make it harder.' },
    ]);
    expect(model.requests[2]!.messages).toEqual([
      { role: 'system', content: 'You write quiz questions.' },
      { role: 'user', content: 'Write one.' },
      { role: 'assistant', content: 'A1' },
      { role: 'user', content: 'Make it harder.' },
      { role: 'assistant', content: 'A2' },
      { role: 'user', content: 'Answer it.' },
    ]);
  });

  it('sends each task alone without passResult, one at a time', async () => {
    const model = fakeModel(async (request) => {
      await sleep(2);
      return `re: ${lastUser(request)}`;
    });
    const results = await runSequence(model, [{ prompt: 'one' }, { prompt: 'two' }]);
    expect(results.map((r) => r.tag)).toEqual(['0', '1']);
    expect(model.requests[1]!.messages).toEqual([{ role: 'user', content: 'two' }]);
    expect(model.peak).toBe(1);
  });

  it('stops at the first failure: the reason on that step, skipped for the rest', async () => {
    const model = fakeModel((request) => {
      if (lastUser(request) === 'second') throw new ModelCallError('bad request', { kind: 'http', status: 400 });
      return 'fine';
    });
    const ends: TaskEndEvent[] = [];
    let ranThird = false;
    const results = await runSequence(
      model,
      [
        { tag: 'first', prompt: 'first' },
        { tag: 'second', prompt: 'second' },
        { tag: 'third', run: () => (ranThird = true) },
        { tag: 'fourth', prompt: 'fourth' },
      ],
      { ...fast, passResult: true, onTaskEnd: (e) => ends.push(e) },
    );
    expect(results.map((r) => r.ok)).toEqual([true, false, false, false]);
    expect(results[1]!.error).toMatchObject({ code: 'http', status: 400, attempts: 1 });
    expect(results[2]!.error).toMatchObject({ code: 'skipped', attempts: 0 });
    expect(results[2]!.error!.message).toContain('"second"');
    expect(results[3]!.error?.code).toBe('skipped');
    expect(ranThird).toBe(false);
    expect(model.requests).toHaveLength(2);
    expect(ends.map((e) => [e.tag, e.ok])).toEqual([
      ['first', true],
      ['second', false],
      ['third', false],
      ['fourth', false],
    ]);
  });

  it('gives function steps the results so far and keeps them out of the conversation', async () => {
    const model = fakeModel((_r, call) => `A${call}`);
    const seen: string[] = [];
    const results = await runSequence(
      model,
      [
        { prompt: 'q1' },
        {
          run: (_signal, { previous }) => {
            seen.push(...previous.map((r) => String(r.value)));
            return 'side';
          },
        },
        { prompt: 'q2' },
      ],
      { passResult: true },
    );
    expect(seen).toEqual(['A1']);
    expect(results[1]!.value).toBe('side');
    expect(model.requests[1]!.messages.map((m) => m.content)).toEqual(['q1', 'A1', 'q2']);
  });

  it('ends the step in flight and the rest aborted on abort', async () => {
    const controller = new AbortController();
    const model = fakeModel(async (request) => {
      await sleep(60_000, request.signal);
      return 'never';
    });
    const running = runSequence(model, [{ prompt: 'a' }, { prompt: 'b' }], { signal: controller.signal });
    while (model.requests.length < 1) await sleep(1);
    controller.abort();
    const results = await running;
    expect(results.map((r) => r.error?.code)).toEqual(['aborted', 'aborted']);
    expect(model.requests).toHaveLength(1);
  });
});

describe('mapChain', () => {
  it('runs a 3-step chain over 50 items, in order, at most maxFlows at once, with per-item status', async () => {
    const model = fakeModel(async (request) => {
      await sleep(Math.random() * 4);
      const text = lastUser(request).replace(/^Upper: /, '');
      if (text === 'item 11') throw new ModelCallError('refused', { kind: 'http', status: 400 });
      return text.toUpperCase();
    });
    const items = Array.from({ length: 50 }, (_, i) => `  Item ${i} `);
    const active = new Set<number>();
    let peak = 0;
    const ends: number[] = [];

    const results = await mapChain(
      items,
      [
        {
          name: 'clean',
          run: async (text: string, { index }) => {
            active.add(index);
            peak = Math.max(peak, active.size);
            await sleep(Math.random() * 3);
            return text.trim().toLowerCase();
          },
        },
        { name: 'shout', run: { prompt: (clean: string) => `Upper: ${clean}` } },
        {
          name: 'length',
          input: (_item, outputs) => outputs.shout,
          run: (shout: string, { index }) => {
            if (index % 7 === 3) throw new Error(`no length for ${index}`);
            return shout.length;
          },
        },
      ],
      {
        ...fast,
        model,
        maxFlows: 5,
        onItemEnd: (r) => {
          active.delete(r.index);
          ends.push(r.index);
        },
      },
    );

    expect(results.map((r) => r.index)).toEqual([...Array(50).keys()]);
    expect(results.map((r) => r.item)).toEqual(items);
    expect(peak).toBe(5);
    expect(ends.sort((a, b) => a - b)).toEqual([...Array(50).keys()]);

    const failedByCheck = results.filter((r) => r.index % 7 === 3);
    for (const r of failedByCheck) {
      expect(r).toMatchObject({ ok: false, failedStep: 'length', error: { code: 'failed', message: `no length for ${r.index}` } });
      expect(r.outputs).toEqual({ clean: `item ${r.index}`, shout: `ITEM ${r.index}` });
    }
    expect(results[11]).toMatchObject({ ok: false, failedStep: 'shout', error: { code: 'http', status: 400 }, outputs: { clean: 'item 11' } });
    expect(results[11]!.steps.map((s) => s.tag)).toEqual(['clean', 'shout']);

    const completed = results.filter((r) => r.ok);
    expect(completed).toHaveLength(50 - failedByCheck.length - 1);
    for (const r of completed) {
      expect(r.failedStep).toBeUndefined();
      expect(r.outputs).toEqual({ clean: `item ${r.index}`, shout: `ITEM ${r.index}`, length: `ITEM ${r.index}`.length });
    }
    // Item 11 never reached the third step.
    expect(model.requests).toHaveLength(50);
  });

  it('batches a batch step’s inputs across items through one mlPredict run', async () => {
    const model = answerModel(labelAll(upper));
    const items = Array.from({ length: 20 }, (_, i) => ({ id: i, review: `review ${i}` }));
    const results = await mapChain(
      items,
      [
        { name: 'text', run: (item: { review: string }) => item.review },
        { name: 'label', run: { batch: { options: { batchSize: 10, batchTimeoutMs: 50 } } } },
        { name: 'both', input: (item, out) => `${item.id}:${String(out.label)}`, run: (s: string) => s },
      ],
      { model, maxFlows: 20 },
    );
    expect(results.map((r) => r.ok)).toEqual(items.map(() => true));
    expect(results.map((r) => r.outputs.both)).toEqual(items.map((it) => `${it.id}:REVIEW ${it.id}`));
    expect(model.requests.length).toBeLessThan(items.length);
    expect(model.requests.length).toBe(2);
  });

  it('sends the last partial batch once every item has arrived or failed, not after batchTimeoutMs', async () => {
    const model = answerModel(labelAll(upper));
    const results = await mapChain(
      ['a', 'b', 'c', 'd', 'e', 'f', 'g'],
      [
        {
          name: 'pre',
          run: (s: string, { index }) => {
            if (index === 2) throw new Error('bad');
            return s;
          },
        },
        { name: 'label', run: { batch: { options: { batchSize: 100, batchTimeoutMs: 60_000 } } } },
      ],
      { model, maxFlows: 3 },
    );
    expect(results.map((r) => r.outputs.label ?? r.failedStep)).toEqual(['A', 'B', 'pre', 'D', 'E', 'F', 'G']);
    expect(model.requests.length).toBeGreaterThanOrEqual(1);
  }, 10_000);

  it('fails an item with the batch step’s record error code', async () => {
    const model = answerModel((records) => JSON.stringify(records.map((r) => ({ index: r.index, answer: r.text === 'x' ? 'not a number' : r.text.length }))));
    const results = await mapChain(['x', 'four'], [{ name: 'size', run: { batch: { options: { batchTimeoutMs: 60_000, valueSchema: z.number() } } } }], { model });
    expect(model.requests).toHaveLength(1);
    expect(results[0]).toMatchObject({ ok: false, failedStep: 'size', error: { code: 'schema' } });
    expect(results[1]).toMatchObject({ ok: true, outputs: { size: 4 } });
  });

  it('cancels every flow on abort: no calls after it, the rest failed as aborted', async () => {
    const controller = new AbortController();
    const model = fakeModel(async (request) => {
      await sleep(60_000, request.signal);
      return 'never';
    });
    const running = mapChain(
      Array.from({ length: 10 }, (_, i) => i),
      [{ name: 'ask', run: { prompt: (n: number) => `n=${n}` } }],
      { model, maxFlows: 3, signal: controller.signal },
    );
    while (model.requests.length < 3) await sleep(1);
    controller.abort();
    const results: ChainItemResult<number>[] = await running;
    await sleep(20);
    expect(model.requests).toHaveLength(3);
    expect(results.every((r) => !r.ok && r.error?.code === 'aborted' && r.failedStep === 'ask')).toBe(true);
  });

  it('keeps the model’s maxConcurrency across flows and a shared batch step', async () => {
    const model = fakeModel(
      async (request) => {
        await sleep(1 + Math.random() * 3);
        const records = [...lastUser(request).matchAll(/^Input (\d+): (.*)$/gm)];
        if (records.length > 0) return JSON.stringify(records.map((m) => ({ index: Number(m[1]), answer: 'L' })));
        return 'summary';
      },
      { maxConcurrency: 2 },
    );
    const results = await mapChain(
      Array.from({ length: 12 }, (_, i) => `doc ${i}`),
      [
        { name: 'summary', run: { prompt: 'Summarise:' } },
        { name: 'label', run: { batch: { options: { batchSize: 3, batchTimeoutMs: 5 } } } },
      ],
      { model, maxFlows: 12 },
    );
    expect(results.every((r) => r.ok)).toBe(true);
    expect(lastUser(model.requests[0]!)).toMatch(/^Summarise:\n\ndoc \d+$/);
    expect(model.peak).toBe(2);
  });

  it('rejects bad steps before starting', async () => {
    const model = fakeModel(() => 'x');
    await expect(mapChain([1], [], { model })).rejects.toThrow(/non-empty array of steps/);
    await expect(mapChain([1], [{ name: 'a', run: { prompt: 'p' } }])).rejects.toThrow(/step 0 \("a"\): no model/);
    await expect(mapChain([1], [{ name: 'a', run: (n: number) => n }, { name: 'a', run: (n: number) => n }], { model })).rejects.toThrow(/output key "a"/);
    await expect(mapChain([1], [{ name: 'b', run: { batch: { options: { batchSize: 0 } } } }], { model })).rejects.toThrow(/batchSize/);
    await expect(mapChain([1], [{ name: 'a', run: (n: number) => n }], { maxFlows: 0 })).rejects.toThrow(/"maxFlows"/);
    expect(model.requests).toHaveLength(0);
  });
});
