/**
 * Batch API calls under the run's retry settings (call-batch-api.ts).
 */
import { ModelCallError } from '@mlpredict/core';
import { callBatchApi, type BatchCallSettings } from '../deferred/call-batch-api';
import { DeferredJobError } from '../deferred/deferred-error';
import { nextPollDelay } from '../deferred/run-jobs';

const settings = (signal = new AbortController().signal): BatchCallSettings => ({ retry: { strategy: 'fixed', baseDelayMs: 1, maxDelayMs: 1 }, maxRetries: 3, signal, jobDir: '/jobs/x' });
const serverError = () => new ModelCallError('The server had an error', { kind: 'http', status: 500 });

it('retries what may succeed on retry, then returns the answer', async () => {
  let calls = 0;
  const value = await callBatchApi('check job b', async () => (++calls < 3 ? Promise.reject(serverError()) : 'ok'), settings());
  expect([value, calls]).toEqual(['ok', 3]);
});

it('gives up after maxRetries, and at once on a refusal, with a DeferredJobError naming the step and the folder', async () => {
  let calls = 0;
  const spent = callBatchApi('check job b', async () => (calls++, Promise.reject(serverError())), settings());
  await expect(spent).rejects.toThrow('predictDeferred: could not check job b: HTTP 500: The server had an error. The job folder /jobs/x keeps what was done; run again with the same jobDir to resume');
  expect(calls).toBe(4);
  calls = 0;
  const refused = callBatchApi('submit job 0 of round 0', async () => (calls++, Promise.reject(new ModelCallError('Incorrect API key', { kind: 'http', status: 401 }))), settings());
  await expect(refused).rejects.toBeInstanceOf(DeferredJobError);
  await expect(refused).rejects.toMatchObject({ jobDir: '/jobs/x', modelError: { status: 401 } });
  expect(calls).toBe(1);
});

it('asks recover before each retry: a call that failed without telling may have succeeded', async () => {
  let submits = 0;
  let looks = 0;
  const job = await callBatchApi(
    'submit job 0 of round 0',
    async () => (submits++, Promise.reject(new ModelCallError('timed out', { kind: 'timeout' }))),
    settings(),
    async () => (++looks === 2 ? 'batch_found' : undefined),
  );
  expect([job, submits, looks]).toEqual(['batch_found', 2, 2]);
});

it('an abort ends a backoff at once with the signal reason, and no call follows', async () => {
  const controller = new AbortController();
  let calls = 0;
  const run = callBatchApi('check job b', async () => (calls++, Promise.reject(serverError())), { ...settings(controller.signal), retry: { strategy: 'fixed', baseDelayMs: 60_000, maxDelayMs: 60_000 } });
  setImmediate(() => controller.abort(new Error('stop')));
  await expect(run).rejects.toThrow('stop');
  expect(calls).toBe(1);
});

it('gives each call a signal of its own, so listeners do not pile up on the run signal over hours of polling', async () => {
  const controller = new AbortController();
  const seen: AbortSignal[] = [];
  for (let i = 0; i < 3; i++) await callBatchApi('check job b', async (signal) => (seen.push(signal), 'ok'), settings(controller.signal));
  expect(new Set(seen).size).toBe(3);
  expect(seen).not.toContain(controller.signal);
  let inner: AbortSignal | undefined;
  const pending = callBatchApi('check job b', (signal) => ((inner = signal), new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)))), settings(controller.signal));
  controller.abort(new Error('cancelled'));
  await expect(pending).rejects.toThrow('cancelled');
  expect(inner!.aborted).toBe(true);
});

it('polls with backoff: half again longer while nothing moves, capped at 8×, back to the interval when the job moves', () => {
  const waits: number[] = [];
  let delay = 100;
  for (const moved of [false, false, false, false, false, false, false, true, false]) waits.push((delay = nextPollDelay(delay, moved, 100)));
  expect(waits).toEqual([150, 225, 337.5, 506.25, 759.375, 800, 800, 100, 150]);
});
