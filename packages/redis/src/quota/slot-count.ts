/**
 * This process's requests in flight under one quota, and waiting for one of
 * them to end. Redis counts slots across workers; this count is what the local
 * fallback limits while Redis is away.
 */
import { abortReason } from '@mlpredict/core/internals';

export class SlotCount {
  #active = 0;
  readonly #waiters = new Set<() => void>();

  /** Requests of this process in flight now. */
  get active(): number {
    return this.#active;
  }

  /** Counts one more in flight; the returned function ends it (once). */
  take(): () => void {
    this.#active++;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.#active--;
      for (const wake of [...this.#waiters]) wake();
    };
  }

  /**
   * Resolves when fewer than `limit` are in flight; rejects at once on abort.
   *
   * @example
   * await slots.below(2, signal);
   * const end = slots.take();
   */
  async below(limit: number, signal?: AbortSignal): Promise<void> {
    while (this.#active >= limit) {
      await new Promise<void>((resolve, reject) => {
        if (signal?.aborted) return reject(abortReason(signal));
        const wake = () => {
          this.#waiters.delete(wake);
          signal?.removeEventListener('abort', onAbort);
          resolve();
        };
        const onAbort = () => {
          this.#waiters.delete(wake);
          reject(abortReason(signal!));
        };
        this.#waiters.add(wake);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    }
  }
}
