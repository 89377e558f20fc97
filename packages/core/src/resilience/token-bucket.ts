/**
 * A smooth token bucket (requests or tokens per minute). It refills continuously
 * and holds at most `burst`, so a limit of 300/min sends one request every 200 ms
 * rather than 300 at the top of each minute. A take larger than the burst waits
 * for a full bucket and then runs it into debt, so a big request is delayed, never
 * refused.
 */
import { FifoWaiters } from './fifo-waiters.js';

export class TokenBucket {
  readonly ratePerMs: number;
  readonly burst: number;
  #tokens: number;
  #updatedAt: number;
  /** Takers in arrival order (first come, first served); an aborted one leaves at once. */
  readonly #waiters = new FifoWaiters<void>({
    waitFor: (amount) => {
      this.#refill();
      const need = Math.min(amount, this.burst);
      return this.#tokens < need ? Math.ceil((need - this.#tokens) / this.ratePerMs) : 0;
    },
    take: (amount) => {
      this.#tokens -= amount;
    },
  });
  readonly #now: () => number;

  /**
   * @example
   * const rpm = new TokenBucket(300 / 60_000, 1); // 300 requests a minute, no burst
   * await rpm.take(1, signal);
   */
  constructor(ratePerMs: number, burst: number, now: () => number = Date.now) {
    this.ratePerMs = ratePerMs;
    this.burst = Math.max(1, burst);
    this.#now = now;
    this.#tokens = this.burst;
    this.#updatedAt = now();
  }

  /** Per-minute limits: burst is a tenth of a second's worth, at least 1. */
  static perMinute(limit: number, now?: () => number): TokenBucket {
    return new TokenBucket(limit / 60_000, Math.max(1, limit / 600), now);
  }

  get available(): number {
    this.#refill();
    return this.#tokens;
  }

  /** Resolves when `amount` tokens are taken; rejects at once when `signal` aborts. */
  take(amount: number, signal?: AbortSignal): Promise<void> {
    return this.#waiters.wait(amount, signal);
  }

  #refill(): void {
    const now = this.#now();
    this.#tokens = Math.min(this.burst, this.#tokens + (now - this.#updatedAt) * this.ratePerMs);
    this.#updatedAt = now;
  }
}
