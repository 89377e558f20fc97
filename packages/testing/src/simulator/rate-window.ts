/**
 * The simulator's server-side rate limit: a sliding window over admitted requests
 * and their token estimates. A refused request leaves no trace in the window, as
 * with OpenAI: retrying costs nothing but the round trip.
 */
import { formatResetDuration } from './reset-duration.js';

/** At most `requests` requests and `tokens` tokens in any `windowMs`. */
export interface RateLimit {
  requests?: number;
  tokens?: number;
  windowMs: number;
}

export type RateDecision =
  | { admitted: true; headers: Record<string, string> }
  | {
      admitted: false;
      headers: Record<string, string>;
      /** Which limit refused it. */
      limit: 'requests' | 'tokens';
      /** Until the window has room for this request; undefined when it never will (too many tokens). */
      retryAfterMs?: number;
    };

interface Admitted {
  at: number;
  tokens: number;
}

/** A sliding-window limiter that also writes OpenAI's `x-ratelimit-*` headers. */
export class RateWindow {
  readonly #limit: RateLimit;
  readonly #now: () => number;
  #admitted: Admitted[] = [];

  /**
   * @example
   * const window = new RateWindow({ requests: 5, windowMs: 1000 });
   * window.tryAdmit(0).admitted; // → true for the first 5 calls within a second
   */
  constructor(limit: RateLimit, now: () => number = () => performance.now()) {
    this.#limit = limit;
    this.#now = now;
  }

  /** Admits (and counts) the request, or says why not and until when. */
  tryAdmit(tokens: number): RateDecision {
    const now = this.#now();
    this.#forgetBefore(now - this.#limit.windowMs);
    const { requests, tokens: tokenLimit } = this.#limit;
    const expiry = (entry: Admitted) => Math.max(1, this.#untilLeaves(entry, now));

    let requestWait: number | undefined;
    if (requests !== undefined && this.#admitted.length + 1 > requests) {
      // The oldest admissions must leave until one slot is free.
      requestWait = expiry(this.#admitted[this.#admitted.length - requests]!);
    }
    let tokenWait: number | undefined;
    let tokensRefused = false;
    if (tokenLimit !== undefined && this.#tokensUsed() + tokens > tokenLimit) {
      tokensRefused = true;
      if (tokens <= tokenLimit) {
        let freed = 0;
        const needed = this.#tokensUsed() + tokens - tokenLimit;
        for (const entry of this.#admitted) {
          freed += entry.tokens;
          if (freed >= needed) {
            tokenWait = expiry(entry);
            break;
          }
        }
      }
    }

    if (requestWait === undefined && !tokensRefused) {
      this.#admitted.push({ at: now, tokens });
      return { admitted: true, headers: this.#headers(now) };
    }
    const headers = this.#headers(now);
    if (tokensRefused && tokenWait === undefined) return { admitted: false, headers, limit: 'tokens' };
    const retryAfterMs = Math.max(requestWait ?? 0, tokenWait ?? 0);
    return { admitted: false, headers, limit: requestWait !== undefined && requestWait >= (tokenWait ?? 0) ? 'requests' : 'tokens', retryAfterMs };
  }

  #forgetBefore(cutoff: number): void {
    let stale = 0;
    while (stale < this.#admitted.length && this.#admitted[stale]!.at <= cutoff) stale++;
    if (stale > 0) this.#admitted.splice(0, stale);
  }

  /** Whole ms until `entry` leaves the window (float noise below a ns doesn't round up). */
  #untilLeaves(entry: Admitted, now: number): number {
    return Math.ceil(this.#limit.windowMs - (now - entry.at) - 1e-6);
  }

  #tokensUsed(): number {
    return this.#admitted.reduce((sum, entry) => sum + entry.tokens, 0);
  }

  /**
   * `reset` is the time until the oldest admission leaves the window (one more
   * request's room), `0s` when the window is empty.
   */
  #headers(now: number): Record<string, string> {
    const { requests, tokens } = this.#limit;
    const oldest = this.#admitted[0];
    const reset = formatResetDuration(oldest ? this.#untilLeaves(oldest, now) : 0);
    const headers: Record<string, string> = {};
    if (requests !== undefined) {
      headers['x-ratelimit-limit-requests'] = String(requests);
      headers['x-ratelimit-remaining-requests'] = String(Math.max(0, requests - this.#admitted.length));
      headers['x-ratelimit-reset-requests'] = reset;
    }
    if (tokens !== undefined) {
      headers['x-ratelimit-limit-tokens'] = String(tokens);
      headers['x-ratelimit-remaining-tokens'] = String(Math.max(0, tokens - this.#tokensUsed()));
      headers['x-ratelimit-reset-tokens'] = reset;
    }
    return headers;
  }
}
