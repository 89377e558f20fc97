/**
 * Requests and tokens per minute, counted the way the server counts them: a
 * sliding window each (see {@link SlidingWindow}), a request charged once when
 * the server accepts it — a 429 gives its charge back, so retries don't pay
 * twice — and its tokens corrected to the server's own prompt count once the
 * answer says it. Limits not given are learned from the `x-ratelimit-*` headers
 * of any answer; so is the window of those given (one second until then: servers
 * enforce per-minute limits in shorter periods).
 */
import type { QuotaOutcome, QuotaRequest } from '../model/quota.js';
import { readRateLimitHeaders, type RateLimitReading } from './rate-limit-headers.js';
import { SlidingWindow, type WindowCharge } from './sliding-window.js';

export interface RateLimitsOptions {
  requestsPerMinute?: number;
  tokensPerMinute?: number;
  /** Learn the limits not given, and the window, from the server's headers (default true). */
  learn?: boolean;
  now?: () => number;
}

/** A request let through: settle it with what the server said. */
export interface RateLimitsLease {
  settle(outcome?: QuotaOutcome): void;
}

/** Windows a server's reset times are rounded up to: a second, ten seconds, a minute, an hour, a day. */
const WINDOWS_MS = [1_000, 10_000, 60_000, 3_600_000, 86_400_000];
/** The window a per-minute limit is enforced over until the server shows its own. */
export const DEFAULT_WINDOW_MS = 1_000;

type Kind = 'requests' | 'tokens';

export class RateLimits {
  readonly #given: Record<Kind, number | undefined>;
  readonly #learn: boolean;
  readonly #now?: () => number;
  readonly #windows: Record<Kind, SlidingWindow | undefined> = { requests: undefined, tokens: undefined };
  /** The longest reset the server reported for each: the window is at least that long. */
  readonly #longestReset: Record<Kind, number> = { requests: 0, tokens: 0 };

  /**
   * @example
   * const limits = new RateLimits({ tokensPerMinute: 120_000 });
   * const lease = await limits.acquire({ tokens: 900, completionTokens: 100, signal });
   * lease.settle({ usage: response.usage, headers: response.headers }); // or { refused: true } after a 429
   */
  constructor(options: RateLimitsOptions = {}) {
    this.#given = { requests: options.requestsPerMinute, tokens: options.tokensPerMinute };
    this.#learn = options.learn ?? true;
    this.#now = options.now;
    for (const kind of ['requests', 'tokens'] as const) {
      const perMinute = this.#given[kind];
      if (perMinute) this.#windows[kind] = this.#window(perMinute * (DEFAULT_WINDOW_MS / 60_000), DEFAULT_WINDOW_MS);
    }
  }

  /** The requests window, once given or learned. */
  get requests(): SlidingWindow | undefined {
    return this.#windows.requests;
  }

  /** The tokens window, once given or learned. */
  get tokens(): SlidingWindow | undefined {
    return this.#windows.tokens;
  }

  /** Waits until one request of `request.tokens` fits both windows, and charges it. */
  async acquire(request: QuotaRequest): Promise<RateLimitsLease> {
    const forRequest = await this.#windows.requests?.take(1, request.signal);
    let forTokens: WindowCharge | undefined;
    try {
      forTokens = await this.#windows.tokens?.take(request.tokens, request.signal);
    } catch (error) {
      forRequest?.refund();
      throw error;
    }
    let settled = false;
    const sentAt = (this.#now ?? Date.now)();
    return {
      settle: (outcome = {}) => {
        if (settled) return;
        settled = true;
        if (outcome.headers) this.learn(outcome.headers);
        if (outcome.refused) {
          forRequest?.refund();
          forTokens?.refund();
          return;
        }
        const counted = outcome.usage?.promptTokens;
        // The server's prompt count replaces our estimate; the answer's budget (maxTokens) stays charged, as servers count it.
        if (forTokens && typeof counted === 'number' && counted > 0) forTokens.adjust(counted + (request.completionTokens ?? 0));
        const at = this.#countedAt(sentAt, outcome.headers);
        forRequest?.done(at);
        forTokens?.done(at);
      },
    };
  }

  /**
   * When the server counted a request that has just ended: before it spent
   * `openai-processing-ms` on it, when the answer says; else halfway between
   * sending and now (the server counts on arrival, and answering takes longer
   * than arriving), so a charge never leaves the window before the server's.
   */
  #countedAt(sentAt: number, headers: QuotaOutcome['headers']): number {
    const now = (this.#now ?? Date.now)();
    const processing = Number(headers?.['openai-processing-ms']);
    if (headers?.['openai-processing-ms'] !== undefined && Number.isFinite(processing) && processing >= 0) return Math.max(sentAt, now - processing);
    return sentAt + (now - sentAt) / 2;
  }

  /**
   * Learns from a response's headers: the window (from the longest reset seen)
   * and, for a limit not given, the limit itself.
   *
   * @example
   * limits.learn({ 'x-ratelimit-limit-requests': '5', 'x-ratelimit-remaining-requests': '4', 'x-ratelimit-reset-requests': '998ms' });
   * limits.requests?.limit // → 5 (in any second)
   */
  learn(headers: Readonly<Record<string, string | undefined>>): void {
    if (!this.#learn) return;
    const read = readRateLimitHeaders(headers);
    for (const kind of ['requests', 'tokens'] as const) {
      const reading = read[kind];
      if (reading) this.#learnOne(kind, reading);
    }
  }

  #learnOne(kind: Kind, reading: RateLimitReading): void {
    this.#longestReset[kind] = Math.max(this.#longestReset[kind], reading.resetMs ?? 0);
    const windowMs = WINDOWS_MS.find((w) => w >= this.#longestReset[kind]) ?? WINDOWS_MS.at(-1)!;
    const perMinute = this.#given[kind];
    const limit = perMinute ? perMinute * (windowMs / 60_000) : reading.limit;
    const window = this.#windows[kind];
    if (window) {
      if (window.limit !== limit || window.windowMs !== windowMs) window.setLimit(limit, windowMs);
      return;
    }
    const learned = this.#window(limit, windowMs);
    // What the server counts already (other clients, requests sent before this one was learned) holds room until its reset.
    const usedElsewhere = reading.remaining === undefined ? 0 : reading.limit - reading.remaining;
    if (usedElsewhere > 0 && reading.resetMs) learned.hold(usedElsewhere, reading.resetMs);
    this.#windows[kind] = learned;
  }

  #window(limit: number, windowMs: number): SlidingWindow {
    return new SlidingWindow(limit, windowMs, this.#now ? { now: this.#now } : {});
  }
}
