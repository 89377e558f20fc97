/**
 * Counters for one or more runs, and the stream of what happened: pass a
 * `RunStats` as the `stats` option, read `snapshot()` any time, or subscribe to
 * `events$` for logs and meters.
 */
import { Subject, type Observable } from 'rxjs';
import type { BatchEvent, RateLimitEvent, RequestEvent, RetryEvent, TuneEvent } from '../results/events.js';
import type { PredictErrorCode, PredictResult } from '../results/result.js';
import { tokenCount } from '../model/token-usage.js';

/** Prices in your currency per million tokens, for `estimatedCost`. */
export interface PriceTable {
  promptPerMillion: number;
  completionPerMillion: number;
}

export type RunEvent =
  | ({ type: 'request' } & RequestEvent)
  | ({ type: 'batch' } & BatchEvent)
  | ({ type: 'retry' } & RetryEvent)
  | ({ type: 'rate_limit' } & RateLimitEvent)
  | ({ type: 'tune' } & TuneEvent)
  | { type: 'result'; result: PredictResult<unknown, unknown, unknown> };

export interface StatsSnapshot {
  records: number;
  values: number;
  errors: number;
  errorsByCode: Partial<Record<PredictErrorCode, number>>;
  batches: number;
  /** HTTP requests sent, retries and repairs included. */
  requests: number;
  retries: number;
  rateLimited: number;
  /** Records that needed a repair round (asked again, split, single fallback). */
  repaired: number;
  cacheHits: number;
  promptTokens: number;
  completionTokens: number;
  /** The part of `promptTokens` the provider served from its prompt cache (billed lower). */
  cachedPromptTokens: number;
  /**
   * USD, as each request was priced by its run (the `price` option, else the
   * price table's; `predictDeferred` lines at the Batch API's discount). Absent
   * when a request answered with usage had no price: a partial sum is not shown.
   */
  costUsd?: number;
  /** From `prices`, when given (prompt and completion tokens only; see `costUsd`). */
  estimatedCost?: number;
  /** With `batchSize` or `concurrency` `'auto'`: the settings the tuners chose last, and how many decisions they made. */
  tuning?: TuningSnapshot;
  /** Since the first event. */
  elapsedMs: number;
  recordsPerSecond: number;
}

/** What self-tuning settled on so far (the last value of each setting tuned; timing probes aside). */
export interface TuningSnapshot {
  batchSize?: number;
  maxBatchTokens?: number;
  concurrency?: number;
  /** Decisions made, `start` ones and probes included. */
  decisions: number;
}

export class RunStats {
  readonly #events = new Subject<RunEvent>();
  readonly #prices?: PriceTable;
  #startedAt?: number;
  #cost = { usd: 0, unpriced: 0 };
  #tuning?: TuningSnapshot;
  #s: Omit<StatsSnapshot, 'costUsd' | 'estimatedCost' | 'tuning' | 'elapsedMs' | 'recordsPerSecond'> = {
    records: 0,
    values: 0,
    errors: 0,
    errorsByCode: {},
    batches: 0,
    requests: 0,
    retries: 0,
    rateLimited: 0,
    repaired: 0,
    cacheHits: 0,
    promptTokens: 0,
    completionTokens: 0,
    cachedPromptTokens: 0,
  };

  /**
   * @example
   * const stats = new RunStats();
   * await predictAll(openAIModel({ model: 'gpt-4o-mini' }), records, { stats });
   * console.log(stats.snapshot()); // { records: 1000, requests: 50, promptTokens: 17800, cachedPromptTokens: 0, costUsd: 0.0079, … }
   */
  constructor(options: { prices?: PriceTable } = {}) {
    this.#prices = options.prices;
  }

  /** Every request, batch, retry, rate-limit pause and result, as it happens. */
  get events$(): Observable<RunEvent> {
    return this.#events.asObservable();
  }

  snapshot(): StatsSnapshot {
    const elapsedMs = this.#startedAt === undefined ? 0 : Date.now() - this.#startedAt;
    const s = { ...this.#s, errorsByCode: { ...this.#s.errorsByCode } };
    const cost = this.#prices && (s.promptTokens * this.#prices.promptPerMillion + s.completionTokens * this.#prices.completionPerMillion) / 1e6;
    const costUsd = this.#cost.unpriced === 0 ? { costUsd: this.#cost.usd } : {};
    return {
      ...s,
      ...costUsd,
      ...(cost !== undefined && { estimatedCost: cost }),
      ...(this.#tuning && { tuning: { ...this.#tuning } }),
      elapsedMs,
      recordsPerSecond: elapsedMs > 0 ? (s.records * 1000) / elapsedMs : 0,
    };
  }

  /** @internal called by the run */
  record(event: RunEvent): void {
    this.#startedAt ??= Date.now();
    const s = this.#s;
    switch (event.type) {
      case 'request':
        s.requests++;
        // Only counts count: a provider's "lots" or NaN would poison every total after it.
        s.promptTokens += tokenCount(event.usage?.promptTokens);
        s.completionTokens += tokenCount(event.usage?.completionTokens);
        s.cachedPromptTokens += tokenCount(event.usage?.cachedPromptTokens);
        if (event.costUsd !== undefined) this.#cost.usd += tokenCount(event.costUsd);
        else if (event.ok && event.usage) this.#cost.unpriced++;
        if (event.errorKind === 'rate_limited') s.rateLimited++;
        break;
      case 'batch':
        s.batches++;
        s.repaired += event.repaired;
        break;
      case 'retry':
        s.retries++;
        break;
      case 'result': {
        s.records++;
        const { result } = event;
        if (result.error) {
          s.errors++;
          s.errorsByCode[result.error.code] = (s.errorsByCode[result.error.code] ?? 0) + 1;
        } else s.values++;
        if (result.meta.via === 'cache') s.cacheHits++;
        break;
      }
      case 'rate_limit':
        break;
      case 'tune': {
        const tuning = (this.#tuning ??= { decisions: 0 });
        tuning.decisions++;
        if (event.reason !== 'probe') tuning[event.setting] = event.to;
        break;
      }
    }
    this.#events.next(event);
  }
}
