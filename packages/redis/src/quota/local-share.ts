/**
 * The fallback while Redis is unreachable: this worker alone, at 1/N of the
 * quota (N = workers alive when Redis was last seen). Never unlimited: every
 * limit the quota has is kept, divided.
 */
import { TokenBucket } from '@mlpredict/core/internals';
import { shareOf, type QuotaLimits } from './quota-limits.js';
import type { SlotCount } from './slot-count.js';

export class LocalShare {
  readonly workers: number;
  readonly limits: QuotaLimits;
  readonly #requests?: TokenBucket;
  readonly #tokens?: TokenBucket;

  /**
   * @example
   * const share = new LocalShare({ requestsPerMinute: 600 }, 4); // 150 a minute for this worker
   * await share.admit(900, slots, signal);
   */
  constructor(limits: QuotaLimits, workers: number) {
    this.workers = Math.max(1, workers);
    this.limits = shareOf(limits, this.workers);
    if (this.limits.requestsPerMinute !== undefined) this.#requests = TokenBucket.perMinute(this.limits.requestsPerMinute);
    if (this.limits.tokensPerMinute !== undefined) this.#tokens = TokenBucket.perMinute(this.limits.tokensPerMinute);
  }

  /** Resolves when a request of `tokens` may go under this worker's share; rejects at once on abort. */
  async admit(tokens: number, slots: SlotCount, signal?: AbortSignal): Promise<void> {
    await this.#requests?.take(1, signal);
    await this.#tokens?.take(tokens, signal);
    if (this.limits.maxConcurrency !== undefined) await slots.below(this.limits.maxConcurrency, signal);
  }

  /** Words for the warning: "150 requests/min, 2 in flight". */
  describe(): string {
    const parts: string[] = [];
    if (this.limits.requestsPerMinute !== undefined) parts.push(`${round(this.limits.requestsPerMinute)} requests/min`);
    if (this.limits.tokensPerMinute !== undefined) parts.push(`${round(this.limits.tokensPerMinute)} tokens/min`);
    if (this.limits.maxConcurrency !== undefined) parts.push(`${this.limits.maxConcurrency} in flight`);
    return parts.length > 0 ? parts.join(', ') : 'no limits set, only local pauses';
  }
}

const round = (n: number) => Math.round(n * 10) / 10;
