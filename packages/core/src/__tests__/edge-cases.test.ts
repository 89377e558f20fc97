/** Edge cases a review found: each test failed before its fix. */
import { Subject } from 'rxjs';
import { predictAll, predictIterable, mlPredict, ModelCallError, type PredictResult } from '@mlpredict/core';
import { TokenBucket } from '@mlpredict/core/internals';
import { answerModel, labelAll, upper } from './support/answer-model';

const fast = { batchTimeoutMs: 0, retry: { strategy: 'fixed' as const, baseDelayMs: 1, maxDelayMs: 1 } };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

it('a throwing onRequest hook errors the stream instead of passing for a network error and re-sending', async () => {
  const model = answerModel(labelAll(upper));
  const run = predictAll(model, ['a', 'b'], {
    ...fast,
    maxRetries: 2,
    onRequest: (e) => {
      if (e.ok) throw new Error('metrics backend down');
    },
  });
  await expect(run).rejects.toThrow('metrics backend down');
  expect(model.requests).toHaveLength(1);
});

it('breaking out of predictIterable returns at once even while the source is quiet', async () => {
  let idle: ReturnType<typeof setTimeout> | undefined;
  async function* quiet() {
    yield 'first';
    await new Promise((r) => (idle = setTimeout(r, 10_000))); // an idle socket
    yield 'never';
  }
  const model = answerModel(labelAll(upper));
  const started = Date.now();
  for await (const r of predictIterable(model, quiet(), { ...fast, batchSize: 1 })) {
    expect(r.value).toBe('FIRST');
    break;
  }
  expect(Date.now() - started).toBeLessThan(5_000);
  clearTimeout(idle); // the socket is never heard from again; leave no timer behind
});

it('deadlineMs counts from admission: time waiting for a batch slot counts', async () => {
  const model = answerModel(async (records) => {
    await sleep(150);
    return labelAll(upper)(records, undefined as never, 0) as string;
  });
  // One slot, 150 ms a call: the third record waits ~300 ms before its request starts.
  const results = await predictAll(model, ['a', 'b', 'c'], { ...fast, batchSize: 1, concurrency: 1, deadlineMs: 250 });
  expect(results[0]!.value).toBe('A');
  expect(results[2]!.error).toMatchObject({ code: 'timeout' });
});

it('an aborted wait in a shared token bucket rejects at once, not when its turn comes', async () => {
  const bucket = TokenBucket.perMinute(6); // one token every 10 s
  await bucket.take(1);
  const cleanup = new AbortController();
  const first = bucket.take(1, cleanup.signal); // waits ~10 s
  const controller = new AbortController();
  const second = bucket.take(1, controller.signal);
  setTimeout(() => controller.abort(new Error('cancelled')), 20);
  const started = Date.now();
  await expect(second).rejects.toThrow('cancelled');
  expect(Date.now() - started).toBeLessThan(2_000);
  void first.catch(() => undefined);
  cleanup.abort(); // leave no 10 s timer behind
});

it('a fallback call that fails outright ends the breaker trial, so later fallbacks are tried again', async () => {
  let singles = 0;
  const model = answerModel((records, _request, call) => {
    if (records.length > 1 && call === 1) return 'unreadable'; // opens the breaker
    if (records.length > 1) throw new ModelCallError('maximum context length exceeded', { kind: 'context_length', status: 400 });
    if (++singles === 1) throw new ModelCallError('boom', { kind: 'http', status: 500 }); // the first trial fails outright
    return labelAll(upper)(records, undefined as never, 0);
  });
  const source = new Subject<string>();
  const results: PredictResult[] = [];
  const done = new Promise<void>((resolve) =>
    source.pipe(mlPredict(model, { ...fast, maxRetries: 0, batchSize: 2, circuitBreaker: { failureThreshold: 1, cooldownMs: 30 } })).subscribe({ next: (r) => results.push(r), complete: resolve }),
  );
  for (const pair of [['a', 'b'], ['c', 'd'], ['e', 'f']]) {
    source.next(pair[0]!);
    source.next(pair[1]!);
    await sleep(80); // past the cooldown: half-open again
  }
  source.complete();
  await done;
  // a, b: refused while open; c: the trial, failed (500); d: refused; e: a new trial that works, closing it; f: tried.
  expect(results.map((r) => r.value ?? r.error?.code)).toEqual(['circuit_open', 'circuit_open', 'http', 'circuit_open', 'E', 'F']);
});

it("mlEmbed's batchSize bound is its own, named in the message", async () => {
  const { mlEmbed } = await import('@mlpredict/core');
  const model = { name: 'e', complete: async () => ({ text: '' }), embed: async () => ({ embeddings: [] }) };
  expect(() => mlEmbed(model, { batchSize: 20_000 })).toThrow(/mlEmbed: invalid options:\n {2}- "batchSize" \(batch\.size\): expected a value <= 10000, got 20000/);
});

it('circuit_open names the last underlying failure, so an endpoint that never answers in shape is diagnosable (11.9)', async () => {
  const model = answerModel(() => "I'm sorry, I can only answer in prose.");
  const results = await predictAll(model, Array.from({ length: 40 }, (_, i) => `r${i}`), { ...fast, batchSize: 4, concurrency: 1, circuitBreaker: { failureThreshold: 2, cooldownMs: 60_000 } });
  const open = results.filter((r) => r.error?.code === 'circuit_open');
  expect(open.length).toBeGreaterThan(20);
  for (const r of open) expect(r.error!.message).toMatch(/last failure: the model's answer could not be read/);
});
