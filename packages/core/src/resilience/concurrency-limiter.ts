/**
 * A semaphore for requests in flight, with an optional AIMD mode: the limit halves
 * on overload (429, timeout) and grows by one per `limit` successes, between 1 and
 * `max`. Shared per model for `maxConcurrency`, per run for adaptive concurrency.
 */
export class ConcurrencyLimiter {
  readonly max: number;
  #limit: number;
  #active = 0;
  #peak = 0;
  readonly #waiters: Array<() => void> = [];

  /**
   * @example
   * const limiter = new ConcurrencyLimiter(4);
   * const release = await limiter.acquire(signal);
   * try { await call(); } finally { release(); }
   */
  constructor(max: number) {
    this.max = max;
    this.#limit = max;
  }

  /** Requests in flight now. */
  get active(): number {
    return this.#active;
  }
  /** Most requests ever in flight at once. */
  get peak(): number {
    return this.#peak;
  }
  /** The current (possibly adapted) limit. */
  get limit(): number {
    return Math.floor(this.#limit);
  }

  acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#active < this.limit && this.#waiters.length === 0) return Promise.resolve(this.#grant());
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        const i = this.#waiters.indexOf(start);
        if (i !== -1) this.#waiters.splice(i, 1);
        reject(signal!.reason);
      };
      const start = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve(this.#grant());
      };
      this.#waiters.push(start);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** AIMD: additive increase after a success. */
  onSuccess(): void {
    this.#limit = Math.min(this.max, this.#limit + 1 / Math.max(1, this.#limit));
    this.#drain();
  }

  /** AIMD: multiplicative decrease after overload. */
  onOverload(): void {
    this.#limit = Math.max(1, this.#limit / 2);
  }

  #grant(): () => void {
    this.#active++;
    this.#peak = Math.max(this.#peak, this.#active);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#active--;
      this.#drain();
    };
  }

  #drain(): void {
    while (this.#active < this.limit && this.#waiters.length > 0) this.#waiters.shift()!();
  }
}
