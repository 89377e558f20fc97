/**
 * Sleeps that an abort (or closing) ends at once. Core has its own, internal; this
 * package keeps one so it depends only on core's public contract.
 */

/**
 * Resolves after `ms`, or rejects at once with the signal's reason.
 *
 * @example
 * await abortableSleep(200, signal);
 */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortReason(signal));
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortReason(signal!));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, Math.max(0, ms));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * The signal's reason as an Error (named AbortError when it wasn't one).
 *
 * @example
 * if (signal.aborted) throw abortReason(signal);
 */
export function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  // Not `instanceof Error`: a DOMException or an Error from another realm is kept as it is.
  if (typeof (reason as { message?: unknown } | null)?.message === 'string') return reason as Error;
  const error = new Error(typeof reason === 'string' ? reason : 'The operation was aborted');
  error.name = 'AbortError';
  return error;
}
