/**
 * A gate shared by every worker of one model: a 429 closes it until the server's
 * hint, and waiters are then let through one by one, `staggerMs` apart, so they
 * don't all hit the endpoint in the same instant and draw a new wave of 429s.
 */
import { abortableSleep } from './abortable-sleep.js';

export class RateGate {
  #resumeAt = 0;
  #nextSlot = 0;
  readonly #staggerMs: number;
  readonly #now: () => number;

  constructor(options: { staggerMs?: number; now?: () => number } = {}) {
    this.#staggerMs = options.staggerMs ?? 50;
    this.#now = options.now ?? Date.now;
  }

  /** True while the gate is closed. */
  get isPaused(): boolean {
    return this.#now() < this.#resumeAt;
  }

  /** When the gate opens again (epoch ms); 0 or past when open. */
  get resumeAt(): number {
    return this.#resumeAt;
  }

  /**
   * Closes the gate for `ms` (extends, never shortens, a current pause).
   *
   * @example
   * gate.pause(error.retryAfterMs ?? 1000);
   */
  pause(ms: number): number {
    const until = this.#now() + ms;
    if (until > this.#resumeAt) {
      this.#resumeAt = until;
      this.#nextSlot = until;
    }
    return this.#resumeAt;
  }

  /** Resolves when this caller may send; at once when the gate is open and no one queues. */
  async wait(signal?: AbortSignal): Promise<void> {
    for (;;) {
      const now = this.#now();
      if (now >= this.#resumeAt && now >= this.#nextSlot) return;
      const slot = Math.max(this.#resumeAt, this.#nextSlot);
      this.#nextSlot = slot + this.#staggerMs;
      const resumeAtBefore = this.#resumeAt;
      await abortableSleep(slot - now, signal);
      // A new 429 while we slept pushes us behind the new pause.
      if (this.#resumeAt === resumeAtBefore) return;
    }
  }
}
