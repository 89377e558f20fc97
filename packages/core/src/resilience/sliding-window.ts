/**
 * A client-side mirror of a server's rate limit: at most `limit` units (requests
 * or tokens) charged in any `windowMs`, the way OpenAI-compatible servers count.
 * Unlike a smooth token bucket it allows the burst the window allows — a limit
 * of 20 a second sends 20 at once, then waits for the first to leave the window
 * — and a charge can be given back (the server refused the request and did not
 * count it) or corrected (the server reported what it really counted).
 *
 * A charge larger than the whole limit waits for an empty window and then goes,
 * so a big request is delayed, never refused here (the server decides).
 */
import { FifoWaiters } from './fifo-waiters.js';

/**
 * One charge in the window. While its request is out the charge cannot expire:
 * nobody knows yet when the server counted it (a loaded client or a slow
 * network puts that well after the send). `done` dates it once the answer says.
 */
export interface WindowCharge {
  /** Replaces the amount charged (the server's count is known). */
  adjust(amount: number): void;
  /** Takes the charge out of the window (the server did not count the request). */
  refund(): void;
  /** The request ended; the server counted it at about `at` (epoch ms, default now): it leaves the window a window later. */
  done(at?: number): void;
}

interface Entry {
  at: number;
  amount: number;
  /** Its request is still out: it stays until dated. */
  open: boolean;
}

export interface SlidingWindowOptions {
  /** Each charge is kept this much longer than the window: the server counts a request a little after we send it. */
  marginMs?: number;
  now?: () => number;
}

export class SlidingWindow {
  #limit: number;
  #windowMs: number;
  readonly #marginMs: number;
  readonly #now: () => number;
  #entries: Entry[] = [];
  readonly #waiters = new FifoWaiters<WindowCharge>({ waitFor: (amount) => this.#waitFor(amount), take: (amount) => this.#charge(amount) });

  /**
   * @example
   * const rpm = new SlidingWindow(20, 1000); // 20 requests in any second
   * const charge = await rpm.take(1, signal);
   * // … the server answered 429 and did not count it:
   * charge.refund();
   */
  constructor(limit: number, windowMs: number, options: SlidingWindowOptions = {}) {
    if (!(limit > 0) || !(windowMs > 0)) throw new RangeError(`SlidingWindow: limit and windowMs must be > 0, got ${limit} and ${windowMs}`);
    this.#limit = limit;
    this.#windowMs = windowMs;
    this.#now = options.now ?? Date.now;
    this.#marginMs = options.marginMs ?? Math.max(10, windowMs / 100);
  }

  get limit(): number {
    return this.#limit;
  }

  get windowMs(): number {
    return this.#windowMs;
  }

  /** Units charged in the window now. */
  get used(): number {
    this.#forget();
    return this.#entries.reduce((sum, e) => sum + e.amount, 0);
  }

  /** Takers waiting for room. */
  get waiting(): number {
    return this.#waiters.length;
  }

  /**
   * Changes the limit or the window (learned from the server's headers); waiters
   * are served again under the new one.
   */
  setLimit(limit: number, windowMs: number = this.#windowMs): void {
    if (!(limit > 0) || !(windowMs > 0)) return;
    this.#limit = limit;
    this.#windowMs = windowMs;
    this.#waiters.serve();
  }

  /**
   * Counts `amount` as charged until `forMs` from now: what the server says is
   * used already (its `remaining` below the limit) when the window is learned.
   */
  hold(amount: number, forMs: number): void {
    if (!(amount > 0) || !(forMs > 0)) return;
    this.#entries.push({ at: this.#now() + forMs - this.#windowMs - this.#marginMs, amount, open: false });
    this.#waiters.serve();
  }

  /** Resolves with the charge once `amount` fits the window; rejects at once when `signal` aborts. */
  take(amount: number, signal?: AbortSignal): Promise<WindowCharge> {
    return this.#waiters.wait(Math.max(0, amount), signal);
  }

  /**
   * Milliseconds until `amount` fits (0: now; Infinity: only a request that is
   * still out can make room, and its `done` serves again). Over the limit, it
   * fits an empty window.
   */
  #waitFor(amount: number): number {
    this.#forget();
    const room = Math.min(amount, this.#limit);
    let used = this.#entries.reduce((sum, e) => sum + e.amount, 0);
    if (used + room <= this.#limit) return 0;
    const now = this.#now();
    const leaving = this.#entries.filter((e) => !e.open).sort((a, b) => a.at - b.at);
    for (const entry of leaving) {
      used -= entry.amount;
      if (used + room <= this.#limit) return Math.max(1, Math.ceil(this.#expiry(entry) - now));
    }
    return Infinity;
  }

  #charge(amount: number): WindowCharge {
    const entry: Entry = { at: this.#now(), amount, open: true };
    this.#entries.push(entry);
    return {
      adjust: (next) => {
        entry.amount = Math.max(0, next);
        this.#waiters.serve();
      },
      refund: () => {
        const i = this.#entries.indexOf(entry);
        if (i !== -1) this.#entries.splice(i, 1);
        this.#waiters.serve();
      },
      done: (at = this.#now()) => {
        if (!entry.open) return;
        entry.open = false;
        entry.at = Math.max(entry.at, Math.min(at, this.#now()));
        this.#waiters.serve();
      },
    };
  }

  #expiry(entry: Entry): number {
    return entry.at + this.#windowMs + this.#marginMs;
  }

  #forget(): void {
    const now = this.#now();
    this.#entries = this.#entries.filter((e) => e.open || this.#expiry(e) > now);
  }
}
