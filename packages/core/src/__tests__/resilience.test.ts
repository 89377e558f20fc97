import { ModelCallError } from '@mlpredict/core';
import { retryDelays, retryDelay, TokenBucket, RateGate, CircuitBreaker, ConcurrencyLimiter, retryAfterMs, callModel, callPolicyFor, resolveOptions, runtimeFor } from '@mlpredict/core/internals';
import { abortableSleep } from '../resilience/abortable-sleep';

describe('retry strategies', () => {
  const base = { baseDelayMs: 100, maxDelayMs: 1000 };
  const half = () => 0.5;

  it('fixed, linear and exponential follow their sequences and cap', () => {
    expect(retryDelays({ ...base, strategy: 'fixed' }, 4)).toEqual([100, 100, 100, 100]);
    expect(retryDelays({ ...base, strategy: 'linear' }, 5)).toEqual([100, 200, 300, 400, 500]);
    expect(retryDelays({ ...base, strategy: 'exponential' }, 6)).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  it('exponential-jitter draws in [0, exponential]', () => {
    expect(retryDelays({ ...base, strategy: 'exponential-jitter' }, 5, half)).toEqual([50, 100, 200, 400, 500]);
    expect(retryDelays({ ...base, strategy: 'exponential-jitter' }, 3, () => 0)).toEqual([0, 0, 0]);
  });

  it('decorrelated-jitter draws between base and 3× the previous delay, capped', () => {
    expect(retryDelays({ ...base, strategy: 'decorrelated-jitter' }, 5, half)).toEqual([200, 350, 575, 913, 1000]);
    expect(retryDelay({ ...base, strategy: 'decorrelated-jitter' }, 2, 300, () => 0.999)).toBeLessThanOrEqual(900);
  });
});

describe('retryAfterMs', () => {
  it('reads retry-after-ms, retry-after (seconds or date) and x-ratelimit-reset-*', () => {
    expect(retryAfterMs({ 'retry-after-ms': '250' })).toBe(250);
    expect(retryAfterMs({ 'retry-after': '2' })).toBe(2000);
    expect(retryAfterMs({ 'retry-after': new Date(10_000).toUTCString() }, 7_000)).toBe(3000);
    expect(retryAfterMs({ 'x-ratelimit-reset-requests': '1m30s' })).toBe(undefined); // over a minute: ignored
    expect(retryAfterMs({ 'x-ratelimit-reset-requests': '1.5s', 'x-ratelimit-reset-tokens': '250ms' })).toBe(1500);
    expect(retryAfterMs({})).toBeUndefined();
  });
});

describe('on fake timers', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('abortableSleep wakes at once on abort', async () => {
    const controller = new AbortController();
    const sleeping = abortableSleep(60_000, controller.signal);
    controller.abort();
    await expect(sleeping).rejects.toThrow(/aborted/);
  });

  it('a token bucket spaces takes at its rate', async () => {
    const bucket = TokenBucket.perMinute(300); // 5/s, burst 1
    const times: number[] = [];
    const start = Date.now();
    const takes = Array.from({ length: 4 }, () => bucket.take(1).then(() => times.push(Date.now() - start)));
    await jest.advanceTimersByTimeAsync(1000);
    await Promise.all(takes);
    expect(times).toEqual([0, 200, 400, 600]);
  });

  it('a take over the burst waits for a full bucket and then goes into debt', async () => {
    const bucket = new TokenBucket(1 / 10, 10); // 1 token / 10 ms, burst 10
    const start = Date.now();
    const times: number[] = [];
    await bucket.take(50).then(() => times.push(Date.now() - start));
    const next = bucket.take(1).then(() => times.push(Date.now() - start));
    await jest.advanceTimersByTimeAsync(1000);
    await next;
    expect(times).toEqual([0, 410]); // debt of 40 + 1 needed at 1 per 10 ms
  });

  it('the rate gate holds everyone until resume, then lets them through staggered', async () => {
    const gate = new RateGate({ staggerMs: 50 });
    const start = Date.now();
    gate.pause(1000);
    expect(gate.isPaused).toBe(true);
    const times: number[] = [];
    const waiters = [0, 1, 2].map(() => gate.wait().then(() => times.push(Date.now() - start)));
    await jest.advanceTimersByTimeAsync(2000);
    await Promise.all(waiters);
    expect(times).toEqual([1000, 1050, 1100]);
  });

  it('a second 429 while waiting pushes waiters behind the new pause', async () => {
    const gate = new RateGate({ staggerMs: 10 });
    const start = Date.now();
    gate.pause(100);
    const done = gate.wait().then(() => Date.now() - start);
    await jest.advanceTimersByTimeAsync(50);
    gate.pause(500); // until 550
    await jest.advanceTimersByTimeAsync(1000);
    expect(await done).toBe(550);
  });

  it('the circuit breaker opens after the threshold, half-opens after cooldown, closes on success', () => {
    const breaker = new CircuitBreaker({ failureThreshold: 2, cooldownMs: 1000 });
    breaker.recordFailure();
    expect(breaker.allow()).toBe(true);
    breaker.recordFailure();
    expect(breaker.state).toBe('open');
    expect(breaker.allow()).toBe(false);
    jest.advanceTimersByTime(1000);
    expect(breaker.state).toBe('half-open');
    expect(breaker.allow()).toBe(true);
    expect(breaker.allow()).toBe(false); // one trial at a time
    breaker.recordSuccess();
    expect(breaker.state).toBe('closed');
  });
});

describe('ConcurrencyLimiter', () => {
  it('bounds holders and hands over in order', async () => {
    const limiter = new ConcurrencyLimiter(2);
    const a = await limiter.acquire();
    const b = await limiter.acquire();
    let cGot = false;
    const c = limiter.acquire().then((release) => ((cGot = true), release));
    await Promise.resolve();
    expect(cGot).toBe(false);
    a();
    (await c)();
    b();
    expect(limiter.active).toBe(0);
    expect(limiter.peak).toBe(2);
  });

  it('AIMD halves on overload and grows back by about one per limit successes', () => {
    const limiter = new ConcurrencyLimiter(8);
    limiter.onOverload();
    expect(limiter.limit).toBe(4);
    limiter.onOverload();
    expect(limiter.limit).toBe(2);
    for (let i = 0; i < 3; i++) limiter.onSuccess(); // 2 → 2.5 → 2.9 → 3.24
    expect(limiter.limit).toBe(3);
    for (let i = 0; i < 100; i++) limiter.onSuccess();
    expect(limiter.limit).toBe(8);
  });

  it('an aborted waiter leaves the queue', async () => {
    const limiter = new ConcurrencyLimiter(1);
    const release = await limiter.acquire();
    const controller = new AbortController();
    const waiting = limiter.acquire(controller.signal);
    controller.abort(new Error('stop'));
    await expect(waiting).rejects.toThrow('stop');
    release();
    expect(limiter.active).toBe(0);
  });
});

describe('the retry owner on fake timers', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  /** Runs a model that fails `failures` times with `error`, and returns when each attempt was sent. */
  async function attemptTimes(strategy: 'fixed' | 'linear' | 'exponential', error: ModelCallError, failures = 4) {
    const start = Date.now();
    const times: number[] = [];
    const model = {
      name: `retry-${strategy}-${Math.random()}`,
      async complete() {
        times.push(Date.now() - start);
        if (times.length <= failures) throw error;
        return { text: 'ok' };
      },
    };
    const options = resolveOptions({ maxRetries: 5, retry: { strategy, baseDelayMs: 100, maxDelayMs: 1000 } });
    const pending = callModel({ messages: [] }, callPolicyFor(model, runtimeFor(model), { call: options.call }), { batchId: 0, records: 1, tokens: 0, signal: new AbortController().signal });
    await jest.advanceTimersByTimeAsync(10_000);
    const outcome = await pending;
    return { times, outcome };
  }

  const serverError = new ModelCallError('boom', { kind: 'http', status: 500 });

  it('fixed waits the base delay between attempts', async () => {
    const { times, outcome } = await attemptTimes('fixed', serverError);
    expect(times).toEqual([0, 100, 200, 300, 400]);
    expect(outcome).toMatchObject({ ok: true, attempts: 5 });
  });

  it('linear grows by the base delay', async () => {
    expect((await attemptTimes('linear', serverError)).times).toEqual([0, 100, 300, 600, 1000]);
  });

  it('exponential doubles up to the cap', async () => {
    expect((await attemptTimes('exponential', serverError)).times).toEqual([0, 100, 300, 700, 1500]);
  });

  it("a 429's retry-after-ms replaces the backoff, for every worker on the model", async () => {
    const limited = new ModelCallError('slow down', { kind: 'rate_limited', status: 429, retryAfterMs: 750 });
    expect((await attemptTimes('fixed', limited, 2)).times).toEqual([0, 750, 1500]);
  });

  it('gives up after maxRetries with the last error', async () => {
    const { times, outcome } = await attemptTimes('fixed', serverError, 99);
    expect(times).toHaveLength(6);
    expect(outcome).toMatchObject({ ok: false, attempts: 6, error: { status: 500 } });
  });

  it('does not retry a 400', async () => {
    const { times, outcome } = await attemptTimes('fixed', new ModelCallError('bad', { kind: 'http', status: 400 }));
    expect(times).toEqual([0]);
    expect(outcome).toMatchObject({ ok: false, attempts: 1 });
  });
});
