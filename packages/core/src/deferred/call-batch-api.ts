/**
 * One Batch API call with the run's retry settings: what may succeed on retry
 * (429, 5xx, network errors, timeouts) is retried after the server's hint or the
 * run's backoff; anything else, or retries spent, becomes a {@link DeferredJobError}.
 * An abort ends the wait at once and rethrows the signal's reason.
 */
import { isRetryable } from '../model/errors.js';
import { toModelCallError } from '../resilience/call-model.js';
import { abortableSleep, abortReason } from '../resilience/abortable-sleep.js';
import { retryDelay, type RetryDelayOptions } from '../resilience/retry-delays.js';
import { DeferredJobError } from './deferred-error.js';

export interface BatchCallSettings {
  retry: RetryDelayOptions;
  maxRetries: number;
  signal: AbortSignal;
  jobDir: string;
}

/**
 * @param what the step, for the error message ("submit job 0 of round 0")
 * @param recover asked before each retry: a call that failed without telling (a timeout) may have succeeded; a value here ends the retries
 * @example
 * const job = await callBatchApi('check job batch_1', (signal) => api.retrieve('batch_1', { signal }), settings);
 */
export async function callBatchApi<T>(what: string, run: (signal: AbortSignal) => Promise<T>, settings: BatchCallSettings, recover?: (signal: AbortSignal) => Promise<T | undefined>): Promise<T> {
  const { signal } = settings;
  let previous = settings.retry.baseDelayMs;
  for (let attempt = 1; ; attempt++) {
    if (signal.aborted) throw abortReason(signal);
    try {
      return await withOwnSignal(signal, run);
    } catch (thrown) {
      if (signal.aborted) throw abortReason(signal);
      const error = toModelCallError(thrown, signal);
      if (!isRetryable(error) || attempt > settings.maxRetries) throw new DeferredJobError(`could not ${what}`, settings.jobDir, error);
      const delay = error.retryAfterMs ?? retryDelay(settings.retry, attempt, previous);
      previous = delay;
      await abortableSleep(delay, signal);
      const recovered = await recover?.(signal);
      if (recovered !== undefined) return recovered;
    }
  }
}

/**
 * Runs `fn` with a signal of its own that follows `outer`: the SDK never removes
 * the abort listener it adds, and a run polls for hours on one signal.
 */
async function withOwnSignal<T>(outer: AbortSignal, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onAbort = () => controller.abort(outer.reason);
  outer.addEventListener('abort', onAbort, { once: true });
  try {
    return await fn(controller.signal);
  } finally {
    outer.removeEventListener('abort', onAbort);
  }
}
