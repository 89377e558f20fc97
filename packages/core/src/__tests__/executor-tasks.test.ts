import type { LocalQuota } from '@mlpredict/core';
import { from, lastValueFrom, toArray } from 'rxjs';
import { mlPredict, predictAll, ModelCallError, RunStats, type CompletionRequest } from '@mlpredict/core';
import { promptRecords } from './support/answer-model';
import { fakeModel, sleep } from './support/counting-model';
import { runTasks } from '../executor/run-tasks';
import type { TaskEndEvent, TaskStartEvent } from '../executor/task-types';

const fast = { retry: { strategy: 'fixed' as const, baseDelayMs: 1, maxDelayMs: 1 } };


const lastUser = (request: CompletionRequest) => request.messages.filter((m) => m.role === 'user').at(-1)?.content ?? '';

describe('model-level parallelism', () => {
  it('keeps two mlPredict pipelines plus a runTasks run under the model’s maxConcurrency together', async () => {
    const model = fakeModel(
      async (request) => {
        await sleep(2 + Math.random() * 8);
        const records = promptRecords(request);
        if (records.length > 0) return JSON.stringify(records.map((r) => ({ index: r.index, answer: r.text.toUpperCase() })));
        return `task: ${lastUser(request)}`;
      },
      { maxConcurrency: 4 },
    );
    const words = (prefix: string) => Array.from({ length: 20 }, (_, i) => `${prefix} ${i}`);
    const options = { ...fast, batchSize: 2, batchTimeoutMs: 0, concurrency: 8 };
    const tasks = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`t${i}`, { prompt: `question ${i}` }]));

    const [a, b, t] = await Promise.all([
      predictAll(model, words('a'), options),
      lastValueFrom(from(words('b')).pipe(mlPredict(model, options), toArray())),
      runTasks(model, tasks, { concurrency: 8 }),
    ]);

    expect(a.map((r) => r.value)).toEqual(words('a').map((w) => w.toUpperCase()));
    expect(b.map((r) => r.value)).toEqual(words('b').map((w) => w.toUpperCase()));
    expect(Object.values(t).map((r) => r.value)).toEqual(Array.from({ length: 12 }, (_, i) => `task: question ${i}`));
    expect(model.requests.length).toBe(10 + 10 + 12);
    // 32 requests all wanted to go at once; the model's bound let exactly 4 through at a time.
    expect(model.peak).toBe(4);
    expect((model.runtime!.quota as LocalQuota).limiter!.peak).toBe(4);
  });

  it('makes a function task hold one of the model’s slots while it runs', async () => {
    const run = async (modelSlot: boolean) => {
      let fnRunning = false;
      let overlaps = 0;
      const model = fakeModel(() => {
        if (fnRunning) overlaps++;
        return 'answer';
      }, { maxConcurrency: 1 });
      const results = await runTasks(model, {
        lookup: {
          modelSlot,
          run: async () => {
            fnRunning = true;
            if (model.inFlight > 0) overlaps++;
            await sleep(20);
            fnRunning = false;
            return 42;
          },
        },
        ask: { prompt: 'hello' },
      });
      expect(results.lookup).toMatchObject({ ok: true, value: 42, attempts: 1 });
      expect(results.ask).toMatchObject({ ok: true, value: 'answer' });
      return overlaps;
    };
    expect(await run(true)).toBe(0);
    // The control: without the slot the request goes out while the function runs.
    expect(await run(false)).toBeGreaterThan(0);
  });
});

describe('runTasks', () => {
  it('isolates failures: one 400, one retried 503, one function, in key order', async () => {
    let flakyCalls = 0;
    const model = fakeModel((request) => {
      const prompt = lastUser(request);
      if (prompt === 'bad') throw new ModelCallError('invalid request', { kind: 'http', status: 400 });
      if (prompt === 'flaky' && ++flakyCalls === 1) throw new ModelCallError('unavailable', { kind: 'http', status: 503 });
      return `ok: ${prompt}`;
    });
    const starts: TaskStartEvent[] = [];
    const ends: TaskEndEvent[] = [];
    const retries: number[] = [];
    const results = await runTasks(
      model,
      {
        bad: { prompt: 'bad' },
        flaky: { prompt: 'flaky' },
        det: { run: () => 'computed' },
        good: { prompt: 'good', parse: (text) => text.length },
      },
      { ...fast, onTaskStart: (e) => starts.push(e), onTaskEnd: (e) => ends.push(e), onRetry: (e) => retries.push(e.attempt) },
    );

    expect(Object.keys(results)).toEqual(['bad', 'flaky', 'det', 'good']);
    expect(results.bad.ok).toBe(false);
    expect(results.bad.error).toMatchObject({ code: 'http', status: 400, attempts: 1 });
    expect(results.bad.error!.message).toContain('HTTP 400');
    expect(results.flaky).toMatchObject({ tag: 'flaky', ok: true, value: 'ok: flaky', attempts: 2 });
    expect(results.det).toMatchObject({ tag: 'det', ok: true, value: 'computed', attempts: 1 });
    expect(results.good).toMatchObject({ ok: true, value: 'ok: good'.length, text: 'ok: good', usage: { promptTokens: 3, completionTokens: 1 } });
    expect(retries).toEqual([1]);
    expect(model.requests).toHaveLength(4);
    expect(starts.map((e) => e.tag).sort()).toEqual(['bad', 'det', 'flaky', 'good']);
    expect(ends.find((e) => e.tag === 'flaky')).toMatchObject({ ok: true, attempts: 2, index: 1 });
    expect(ends.find((e) => e.tag === 'bad')).toMatchObject({ ok: false, attempts: 1, error: { code: 'http' } });
    for (const r of Object.values(results)) expect(r.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('feeds stats with the tasks’ requests, retries and tokens', async () => {
    let calls = 0;
    const model = fakeModel(() => {
      if (++calls === 1) throw new ModelCallError('unavailable', { kind: 'http', status: 503 });
      return 'ok';
    });
    const stats = new RunStats();
    await runTasks(model, { a: { prompt: 'a' }, b: { prompt: 'b' } }, { ...fast, concurrency: 1, stats });
    expect(stats.snapshot()).toMatchObject({ requests: 3, retries: 1, promptTokens: 6, completionTokens: 2 });
  });

  it('applies a per-task retry policy over the run’s', async () => {
    const model = fakeModel(() => {
      throw new ModelCallError('unavailable', { kind: 'http', status: 503 });
    });
    const results = await runTasks(model, { once: { prompt: 'a', retry: { maxRetries: 0 } }, thrice: { prompt: 'b', retry: { maxRetries: 2 } } }, { ...fast, maxRetries: 5 });
    expect(results.once.error).toMatchObject({ code: 'http', status: 503, attempts: 1 });
    expect(results.thrice.error).toMatchObject({ code: 'http', attempts: 3 });
    expect(model.requests).toHaveLength(4);
  });

  it('maps model failures to the operators’ codes, and a throwing parse to parse', async () => {
    const model = fakeModel((request) => {
      const prompt = lastUser(request);
      if (prompt === '429') throw new ModelCallError('slow down', { kind: 'rate_limited', status: 429, retryAfterMs: 1 });
      if (prompt === 'long') throw new ModelCallError('too long', { kind: 'context_length', status: 400 });
      return 'not json';
    });
    const results = await runTasks(
      model,
      { limited: { prompt: '429' }, long: { prompt: 'long' }, json: { prompt: 'give json', parse: (text) => JSON.parse(text) as unknown } },
      { ...fast, maxRetries: 1 },
    );
    expect(results.limited.error).toMatchObject({ code: 'rate_limited', status: 429, attempts: 2 });
    expect(results.long.error).toMatchObject({ code: 'too_large', attempts: 1 });
    expect(results.json).toMatchObject({ ok: false, text: 'not json', error: { code: 'parse', attempts: 1 } });
  });

  it('sends per-task overrides: temperature, maxTokens, system and a different model', async () => {
    const main = fakeModel(() => 'main');
    const other = fakeModel(() => 'other', undefined, 'test:other');
    const results = await runTasks(
      main,
      {
        plain: { prompt: 'p' },
        warm: { prompt: 'w', temperature: 0.7, maxTokens: 12, system: 'Be brief.' },
        elsewhere: { messages: [{ role: 'user', content: 'e' }], model: other, temperature: 1.2 },
      },
      { systemPrompt: 'Run system' },
    );
    expect(results.elsewhere.value).toBe('other');
    expect(other.requests).toHaveLength(1);
    expect(other.requests[0]).toMatchObject({ temperature: 1.2, messages: [{ role: 'system', content: 'Run system' }, { role: 'user', content: 'e' }] });
    const byPrompt = Object.fromEntries(main.requests.map((r) => [lastUser(r), r]));
    expect(byPrompt.p).toMatchObject({ temperature: 0, messages: [{ role: 'system', content: 'Run system' }, { role: 'user', content: 'p' }] });
    expect(byPrompt.p!.maxTokens).toBeUndefined();
    expect(byPrompt.w).toMatchObject({ temperature: 0.7, maxTokens: 12, messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'w' }] });
  });

  it('takes call settings from the model’s defaults, but not its (batch) system prompt', async () => {
    const model = Object.assign(fakeModel(() => 'x'), { defaults: { systemPrompt: 'Reply with a JSON array.', temperature: 0.3, maxRetries: 0 } });
    await runTasks(model, { a: { prompt: 'a' } });
    expect(model.requests[0]).toMatchObject({ temperature: 0.3, messages: [{ role: 'user', content: 'a' }] });
  });

  it('bounds tasks in flight with concurrency', async () => {
    let active = 0;
    let peak = 0;
    const task = {
      run: async () => {
        peak = Math.max(peak, ++active);
        await sleep(3);
        active--;
      },
    };
    const tasks = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`f${i}`, task]));
    await runTasks(fakeModel(() => ''), tasks, { concurrency: 3 });
    expect(peak).toBe(3);
  });

  it('cancels everything on abort: no calls after it, waiting tasks end aborted', async () => {
    const controller = new AbortController();
    const model = fakeModel(async (request) => {
      await sleep(60_000, request.signal);
      return 'never';
    });
    const tasks: Record<string, { prompt: string }> = Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`t${i}`, { prompt: `q${i}` }]));
    const running = runTasks(model, { ...tasks, fn: { run: () => new Promise<never>(() => undefined) } }, { concurrency: 2, signal: controller.signal });
    while (model.requests.length < 2) await sleep(1);
    controller.abort();
    const results = await running;
    await sleep(20);

    expect(model.requests).toHaveLength(2);
    expect(Object.values(results).every((r) => !r.ok && r.error.code === 'aborted')).toBe(true);
    expect(results.t0.attempts).toBe(1);
    expect(results.t5).toMatchObject({ attempts: 0, durationMs: 0 });
    expect(results.fn.attempts).toBe(0);
  });

  it('makes no call when the signal is already aborted', async () => {
    const model = fakeModel(() => 'x');
    const results = await runTasks(model, { a: { prompt: 'a' }, b: { run: () => 1 } }, { signal: AbortSignal.abort() });
    expect(model.requests).toHaveLength(0);
    expect(results.a.error?.code).toBe('aborted');
    expect(results.b.error?.code).toBe('aborted');
  });

  it('reports a function that ignores the signal as aborted at once', async () => {
    const controller = new AbortController();
    const running = runTasks(fakeModel(() => ''), { deaf: { run: () => new Promise<number>(() => undefined) } }, { signal: controller.signal });
    await sleep(5);
    controller.abort();
    const results = await running;
    expect(results.deaf.error).toMatchObject({ code: 'aborted', attempts: 1 });
  });

  it('reports a throwing function as failed with its error as cause', async () => {
    const boom = new Error('boom');
    const results = await runTasks(fakeModel(() => ''), {
      sync: {
        run: () => {
          throw boom;
        },
      },
      async: { run: async () => Promise.reject(new Error('later')) },
    });
    expect(results.sync.error).toMatchObject({ code: 'failed', message: 'boom', attempts: 1, cause: boom });
    expect(results.async.error).toMatchObject({ code: 'failed', message: 'later' });
  });

  it('rejects bad options and tasks before any call, naming them', async () => {
    const model = fakeModel(() => 'x');
    await expect(runTasks(model, { a: { prompt: 'a' } }, { maxRetries: -1 })).rejects.toThrow(/runTasks: invalid options:[\s\S]*"maxRetries"/);
    await expect(runTasks(model, { a: { prompt: 'a' } }, { concurrency: 0 })).rejects.toThrow(/"concurrency": expected an integer >= 1/);
    await expect(runTasks(model, { a: { prompt: 'a' } }, { onTaskEnd: 'log' as never })).rejects.toThrow(/"onTaskEnd": expected a function/);
    await expect(runTasks(model, { a: { prompt: 'a' } }, { maxRetires: 2 } as never)).rejects.toThrow(/unknown option "maxRetires" \(did you mean "maxRetries"\?\)/);
    await expect(runTasks(model, { a: { prompt: 'a' }, empty: {} as never })).rejects.toThrow(/task "empty": give messages, prompt or run/);
    await expect(runTasks(model, { a: { prompt: 'a', retry: { baseDelayMs: -5 } } })).rejects.toThrow(/task "a"[\s\S]*retry.baseDelayMs/);
    expect(model.requests).toHaveLength(0);
  });

  it('rejects with the error a hook threw, after cancelling the rest', async () => {
    const model = fakeModel(() => 'x');
    const hookError = new Error('hook failed');
    await expect(
      runTasks(model, { a: { prompt: 'a' }, b: { prompt: 'b' } }, {
        concurrency: 1,
        onTaskEnd: () => {
          throw hookError;
        },
      }),
    ).rejects.toBe(hookError);
    expect(model.requests).toHaveLength(1);
  });
});
