/**
 * Shared bits of the fake models: honoring the request's AbortSignal the way the
 * real client does, and an optional delay.
 */
import { ModelCallError } from '@mlpredict/core';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Throws the `aborted` ModelCallError the OpenAI client would, if the signal has fired.
 *
 * @example
 * throwIfAborted(AbortSignal.abort()); // throws ModelCallError { kind: 'aborted' }
 */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new ModelCallError('the request was aborted', { kind: 'aborted', cause: signal.reason });
}

/**
 * Waits `ms`, or throws `aborted` as soon as the signal fires.
 *
 * @example
 * await delay(50, request.signal);
 */
export async function delay(ms: number, signal: AbortSignal | undefined): Promise<void> {
  throwIfAborted(signal);
  if (ms <= 0) return;
  try {
    await sleep(ms, undefined, { signal });
  } catch (error) {
    throw new ModelCallError('the request was aborted', { kind: 'aborted', cause: error });
  }
}
