import { predictAll, ModelCallError } from '@mlpredict/core';
import { answerModel, labelAll, upper } from './support/answer-model';

const hang = (_r: unknown, request: { signal?: AbortSignal }) =>
  new Promise<string>((_resolve, reject) => request.signal!.addEventListener('abort', () => reject(Object.assign(new Error('aborted'), { name: 'AbortError' }))));

describe('deadlineMs', () => {
  it('ends a record with timeout when its overall deadline passes, retries included', async () => {
    const model = answerModel(hang);
    const started = Date.now();
    const [result] = await predictAll(model, ['x'], { batchTimeoutMs: 0, requestTimeoutMs: 10_000, deadlineMs: 50, maxRetries: 5 });
    expect(result!.error).toMatchObject({ code: 'timeout' });
    expect(result!.error!.message).toMatch(/deadlineMs \(50 ms\)/);
    expect(Date.now() - started).toBeLessThan(5_000); // far below requestTimeoutMs: the deadline ended it
  });

  it('leaves records that answer in time alone', async () => {
    const model = answerModel(labelAll(upper));
    const results = await predictAll(model, ['a', 'b'], { batchTimeoutMs: 0, deadlineMs: 5_000 });
    expect(results.map((r) => r.value)).toEqual(['A', 'B']);
  });
});

describe('adaptiveConcurrency', () => {
  it('halves requests in flight after 429s and still answers everything', async () => {
    let inFlight = 0;
    const peaks: number[] = [];
    let calls = 0;
    const model = answerModel(async (records) => {
      const call = ++calls;
      inFlight++;
      peaks.push(inFlight);
      try {
        await new Promise((r) => setTimeout(r, 5));
        if (call <= 4) throw new ModelCallError('slow down', { kind: 'rate_limited', status: 429, retryAfterMs: 1 });
        return labelAll(upper)(records, undefined as never, 0) as string;
      } finally {
        inFlight--;
      }
    });
    const results = await predictAll(model, Array.from({ length: 80 }, (_, i) => `r${i}`), {
      batchTimeoutMs: 0,
      batchSize: 2,
      concurrency: 8,
      adaptiveConcurrency: true,
      retry: { strategy: 'fixed', baseDelayMs: 1, maxDelayMs: 1 },
    });
    expect(results.every((r) => r.value === String(r.input).toUpperCase())).toBe(true);
    // The first wave runs 8 wide; after four 429s the limit is 8/16 → 1, and it climbs back slowly.
    expect(peaks.slice(0, 8)).toContain(8);
    expect(Math.max(...peaks.slice(12, 20))).toBeLessThan(8);
  });
});
