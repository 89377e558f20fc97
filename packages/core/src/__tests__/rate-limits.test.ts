/**
 * Rate limits counted as the server counts them, on fake timers: a sliding
 * window that allows the burst the window allows, a 429 that gives its charge
 * back, tokens corrected to the server's count, limits learned from headers.
 */
import { localQuota } from '@mlpredict/core';
import { RateLimits, SlidingWindow, rateLimitHeadersOf, readRateLimitHeaders } from '@mlpredict/core/internals';

const headers = (requests?: [number, number, string], tokens?: [number, number, string]) => ({
  ...(requests && { 'x-ratelimit-limit-requests': String(requests[0]), 'x-ratelimit-remaining-requests': String(requests[1]), 'x-ratelimit-reset-requests': requests[2] }),
  ...(tokens && { 'x-ratelimit-limit-tokens': String(tokens[0]), 'x-ratelimit-remaining-tokens': String(tokens[1]), 'x-ratelimit-reset-tokens': tokens[2] }),
});

describe('readRateLimitHeaders', () => {
  it('reads the limit, what remains and the reset of each kind', () => {
    expect(readRateLimitHeaders(headers([5, 4, '998ms'], [1000, 250, '1m30s']))).toEqual({
      requests: { limit: 5, remaining: 4, resetMs: 998 },
      tokens: { limit: 1000, remaining: 250, resetMs: 90_000 },
    });
    expect(readRateLimitHeaders({ 'x-ratelimit-limit-requests': 'lots' })).toEqual({});
    expect(readRateLimitHeaders({ 'x-ratelimit-limit-tokens': '0' })).toEqual({});
    expect(readRateLimitHeaders({})).toEqual({});
  });

  it('keeps only the x-ratelimit-* headers and the processing time of a response, lower-cased', () => {
    const response = new Headers({ 'X-RateLimit-Limit-Requests': '5', 'openai-processing-ms': '212', 'content-type': 'application/json' });
    expect(rateLimitHeadersOf(response)).toEqual({ 'x-ratelimit-limit-requests': '5', 'openai-processing-ms': '212' });
    expect(rateLimitHeadersOf(new Headers({ 'content-type': 'text/plain' }))).toBeUndefined();
  });
});

describe('on fake timers', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  /** When each take resolves, in ms from now. */
  async function timesOf(takes: Array<() => Promise<unknown>>, runMs: number): Promise<number[]> {
    const start = Date.now();
    const times: number[] = [];
    const all = takes.map((take) => take().then(() => times.push(Date.now() - start)));
    await jest.advanceTimersByTimeAsync(runMs);
    await Promise.all(all);
    return times;
  }

  it('a sliding window lets the whole limit through at once, then each as the oldest leaves', async () => {
    const window = new SlidingWindow(3, 1000, { marginMs: 10 });
    const times = await timesOf(Array.from({ length: 5 }, () => () => window.take(1).then((charge) => charge.done())), 3000);
    expect(times).toEqual([0, 0, 0, 1010, 1010]);
  });

  it('a charge whose request is still out never leaves the window; once done, it leaves a window after it was counted', async () => {
    const window = new SlidingWindow(1, 1000, { marginMs: 0 });
    const first = await window.take(1);
    const second = window.take(1).then((charge) => charge.done());
    await jest.advanceTimersByTimeAsync(5000);
    expect(window.waiting).toBe(1); // the server may have counted it late: no room while it is out
    first.done(Date.now() - 300); // the server counted it 300 ms ago
    expect(await timesOf([() => second], 1000)).toEqual([700]);
  });

  it('a refunded charge (a 429: the server did not count it) frees its room at once', async () => {
    const window = new SlidingWindow(2, 1000, { marginMs: 0 });
    const first = await window.take(1);
    (await window.take(1)).done();
    const third = timesOf([() => window.take(1)], 50);
    first.refund();
    expect(await third).toEqual([0]);
    expect(window.used).toBe(2);
  });

  it('a corrected charge makes room for what it no longer holds', async () => {
    const window = new SlidingWindow(1000, 1000);
    const charge = await window.take(900);
    const next = timesOf([() => window.take(300)], 10);
    charge.adjust(600); // the server counted less than we estimated
    expect(await next).toEqual([0]);
    expect(window.used).toBe(900);
  });

  it('a take over the whole limit waits for an empty window and goes', async () => {
    const window = new SlidingWindow(100, 1000, { marginMs: 0 });
    (await window.take(60)).done();
    expect(await timesOf([() => window.take(500)], 2000)).toEqual([1000]);
  });

  it('what the server holds already (hold) blocks until its reset', async () => {
    const window = new SlidingWindow(5, 1000, { marginMs: 0 });
    window.hold(5, 400);
    expect(await timesOf([() => window.take(1)], 1000)).toEqual([400]);
  });

  it('an aborted take leaves the line and rejects with the reason', async () => {
    const window = new SlidingWindow(1, 1000, { marginMs: 0 });
    await window.take(1);
    const controller = new AbortController();
    const waiting = window.take(1, controller.signal);
    controller.abort(new Error('stop'));
    await expect(waiting).rejects.toThrow('stop');
    expect(window.waiting).toBe(0);
  });

  it('requestsPerMinute allows the burst its window allows (one second until the server shows its own)', async () => {
    const limits = new RateLimits({ requestsPerMinute: 1200 });
    const processed = { 'openai-processing-ms': '0' }; // answered at once: counted when sent
    const times = await timesOf(Array.from({ length: 21 }, () => () => limits.acquire({ tokens: 0 }).then((lease) => lease.settle({ headers: processed }))), 3000);
    expect(times.filter((t) => t === 0)).toHaveLength(20); // 1200 a minute = 20 in any second, all at once
    expect(times.at(-1)).toBeGreaterThanOrEqual(1000);
  });

  it('a request refused with a 429 is charged once in all, however often it is retried', async () => {
    const limits = new RateLimits({ requestsPerMinute: 120, tokensPerMinute: 6000 }); // 2 requests, 100 tokens a second
    for (let retry = 0; retry < 5; retry++) (await limits.acquire({ tokens: 80 })).settle({ refused: true });
    const lease = await limits.acquire({ tokens: 80 });
    lease.settle({ usage: { promptTokens: 80, completionTokens: 10 } });
    expect(limits.requests!.used).toBe(1);
    expect(limits.tokens!.used).toBe(80);
  });

  it('dates a settled request when the server counted it: before its processing time, else halfway through the call', async () => {
    const limits = new RateLimits({ requestsPerMinute: 60 }); // one in any second
    const lease = await limits.acquire({ tokens: 0 });
    await jest.advanceTimersByTimeAsync(400);
    lease.settle({ headers: { 'openai-processing-ms': '100' } }); // counted at 300
    expect(await timesOf([() => limits.acquire({ tokens: 0 })], 2000)).toEqual([910]); // 300 + 1000 + 10 margin − 400
    const guessed = new RateLimits({ requestsPerMinute: 60 });
    const other = await guessed.acquire({ tokens: 0 });
    await jest.advanceTimersByTimeAsync(400);
    other.settle({}); // no processing time: halfway, 200
    expect(await timesOf([() => guessed.acquire({ tokens: 0 })], 2000)).toEqual([810]);
  });

  it("reconciles the prompt estimate with the server's count and keeps the answer's budget charged", async () => {
    const limits = new RateLimits({ tokensPerMinute: 60_000 });
    const lease = await limits.acquire({ tokens: 1000, completionTokens: 100 });
    lease.settle({ usage: { promptTokens: 500, completionTokens: 40 } });
    expect(limits.tokens!.used).toBe(600);
  });

  it('learns a limit not given from the headers, with the window their reset shows and what is used already', async () => {
    const limits = new RateLimits();
    expect(limits.requests).toBeUndefined();
    limits.learn(headers([5, 3, '998ms']));
    expect(limits.requests).toMatchObject({ limit: 5, windowMs: 1000 });
    expect(limits.requests!.used).toBe(2); // held until the reset
    limits.learn(headers([5, 4, '45s']));
    expect(limits.requests).toMatchObject({ limit: 5, windowMs: 60_000 }); // a longer reset: a longer window
    const given = new RateLimits({ tokensPerMinute: 6000 });
    given.learn(headers(undefined, [999, 900, '20s']));
    expect(given.tokens).toMatchObject({ limit: 6000, windowMs: 60_000 }); // the user's rate, over the server's window
    const off = new RateLimits({ learn: false });
    off.learn(headers([5, 4, '1s']));
    expect(off.requests).toBeUndefined();
  });

  it('a local quota learns from what each lease is released with, and gives a refused request its charge back', async () => {
    const quota = localQuota();
    const first = await quota.acquire({ tokens: 10 });
    first.release({ headers: headers([2, 1, '1s']) });
    expect(quota.rates.requests).toMatchObject({ limit: 2, windowMs: 1000 });
    const refused = await quota.acquire({ tokens: 10 });
    refused.release({ refused: true, headers: headers([2, 0, '900ms']) });
    expect(quota.rates.requests!.used).toBe(1); // the learned hold; the refused one is not counted
    const quiet = localQuota({}, { learn: false });
    (await quiet.acquire({ tokens: 1 })).release({ headers: headers([2, 1, '1s']) });
    expect(quiet.rates.requests).toBeUndefined();
  });
});
