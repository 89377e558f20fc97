/**
 * The waiting line of a limiter (a token bucket, a sliding window): takers are
 * served first come, first served, each once the limiter says its amount fits;
 * one whose signal aborts leaves at once, and the next in line is tried. Between
 * tries it sleeps for as long as the limiter says the head must wait.
 */
import { abortReason } from './abortable-sleep.js';

interface Waiter<R> {
  amount: number;
  resolve: (taken: R) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

export interface Limiter<R> {
  /** Milliseconds until `amount` fits: 0 now; Infinity when only a call to `serve()` can make room. */
  waitFor(amount: number): number;
  /** Takes `amount` (it fits) and returns what the taker gets. */
  take(amount: number): R;
}

export class FifoWaiters<R> {
  readonly #limiter: Limiter<R>;
  readonly #queue: Waiter<R>[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;

  /**
   * @example
   * const line = new FifoWaiters({ waitFor: (n) => (tokens >= n ? 0 : 100), take: (n) => void (tokens -= n) });
   * await line.wait(1, signal);
   */
  constructor(limiter: Limiter<R>) {
    this.#limiter = limiter;
  }

  /** Takers waiting. */
  get length(): number {
    return this.#queue.length;
  }

  /** Resolves with what the limiter gives once `amount` fits and every earlier taker was served; rejects at once when `signal` aborts. */
  wait(amount: number, signal?: AbortSignal): Promise<R> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    return new Promise((resolve, reject) => {
      const waiter: Waiter<R> = { amount, resolve, signal };
      if (signal) {
        waiter.onAbort = () => {
          const i = this.#queue.indexOf(waiter);
          if (i !== -1) this.#queue.splice(i, 1);
          reject(abortReason(signal));
          this.serve(); // the next in line may fit now
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.#queue.push(waiter);
      this.serve();
    });
  }

  /** Serves takers from the head while they fit, then sleeps until the head may (call again when room was made). */
  serve(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    while (this.#queue.length > 0) {
      const head = this.#queue[0]!;
      const waitMs = this.#limiter.waitFor(head.amount);
      if (waitMs > 0) {
        if (Number.isFinite(waitMs)) this.#timer = setTimeout(() => this.serve(), waitMs);
        return;
      }
      this.#queue.shift();
      if (head.onAbort) head.signal!.removeEventListener('abort', head.onAbort);
      head.resolve(this.#limiter.take(head.amount));
    }
  }
}
