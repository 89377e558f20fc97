/**
 * A run's spending cap (`budget: { maxTokens?, maxCostUsd? }`), shared by every
 * request the run makes — first tries, retries, repairs, votes. A request is sent
 * only once its estimated cost is reserved out of what is left; the reservation
 * becomes what the server counted once it answers (its estimate after a timeout,
 * as the provider may have run it), and is given back when it fails. A request that does not fit waits while others are in flight (their
 * reservations may come back smaller); when nothing is in flight and it still
 * does not fit, the budget is spent: it refuses every request from then on.
 */
import type { TokenUsage } from '../model/model.js';
import { costOf, type ModelPrice } from './price-table.js';

/** The `budget` option. */
export interface BudgetLimits {
  /** Prompt plus completion tokens, as the server counts them, over the whole run. */
  maxTokens?: number;
  /** USD at the run's price (`price`, else the price table's), over the whole run. */
  maxCostUsd?: number;
}

/** What a request is expected to spend, before it is sent. */
export interface SpendEstimate {
  /** The run's estimate of its prompt (about 4 characters a token). */
  promptTokens: number;
  /** Its `max_tokens`, when it sets one: the most its answer can spend. */
  maxCompletionTokens?: number;
  /** Records it carries: without `max_tokens`, the answer is estimated per record. */
  records: number;
}

/** A reservation out of the budget, held while its request is in flight. */
export interface BudgetLease {
  /** The request was answered: what the server counted replaces the estimate (kept when it counted nothing). */
  settle(usage?: TokenUsage): void;
  /** The request failed without an answer: the reservation is given back. */
  release(): void;
}

/** What has been spent, and what is held by requests in flight. */
export interface BudgetState {
  spentTokens: number;
  spentUsd: number;
  reservedTokens: number;
  reservedUsd: number;
  /** True once a request was refused: nothing more is sent. */
  exhausted: boolean;
}

/**
 * Completion tokens per record assumed until the run has seen an answer: an
 * indexed JSON answer (`{"index": 12, "sentiment": "negative"},`) is about ten;
 * this errs high, so the first requests reserve a little more than they spend.
 */
export const PRIOR_COMPLETION_TOKENS_PER_RECORD = 16;

/** Tokens and USD spent (USD 0 without a price). */
export interface BudgetSpend {
  tokens: number;
  usd: number;
}
type Spend = BudgetSpend;

/**
 * @example
 * const budget = new RunBudget({ maxCostUsd: 5 }, priceFor('gpt-4o-mini'));
 * const lease = await budget.reserve({ promptTokens: 900, records: 20 }, { signal });
 * if (!lease) throw new Error(budget.refusal());
 * lease.settle(response.usage);
 */
export class RunBudget {
  readonly limits: Readonly<BudgetLimits>;
  readonly #price?: ModelPrice;
  #spent: Spend = { tokens: 0, usd: 0 };
  #reserved: Spend = { tokens: 0, usd: 0 };
  #inFlight = 0;
  #exhausted = false;
  #lastRefused: Spend | undefined;
  #waiters: Array<() => void> = [];
  #spentListeners = new Set<(spend: BudgetSpend) => void>();
  // What answers taught: the server's prompt count against our estimate, and completion tokens per record.
  #estimatedPrompt = 0;
  #countedPrompt = 0;
  #answeredRecords = 0;
  #countedCompletion = 0;

  /**
   * @param price the run's price; required with `maxCostUsd`
   * @throws TypeError when `maxCostUsd` is set without a price
   */
  constructor(limits: BudgetLimits, price?: ModelPrice) {
    if (limits.maxCostUsd !== undefined && !price) throw new TypeError('budget.maxCostUsd needs a price: give the "price" option (USD per million tokens) for a model the price table does not know');
    this.limits = { ...limits };
    this.#price = price;
  }

  get state(): BudgetState {
    return { spentTokens: this.#spent.tokens, spentUsd: this.#spent.usd, reservedTokens: this.#reserved.tokens, reservedUsd: this.#reserved.usd, exhausted: this.#exhausted };
  }

  get exhausted(): boolean {
    return this.#exhausted;
  }

  /**
   * Reserves a request's estimated spend, waiting while requests in flight hold
   * what it needs. Resolves undefined when it can't fit (the budget is then spent);
   * rejects with the signal's reason on abort.
   */
  async reserve(estimate: SpendEstimate, options: { batch?: boolean; signal?: AbortSignal } = {}): Promise<BudgetLease | undefined> {
    const need = this.#costOf(this.#expected(estimate), options.batch);
    for (;;) {
      options.signal?.throwIfAborted();
      if (this.#exhausted) return undefined;
      if (this.#fits(need, this.#reserved)) return this.#lease(need, estimate, options.batch);
      if (this.#inFlight === 0) {
        this.#exhaust(need);
        return undefined;
      }
      await this.#changed(options.signal);
    }
  }

  /**
   * How many of `estimates`, taken in order, fit in what is left, with nothing
   * reserved (for planning a job: the requests go out together). It reserves
   * nothing and leaves the budget open: the job's answers are `charge`d once
   * downloaded, and requests after them (repairs of its lines) get what is left.
   *
   * @example
   * const fit = budget.plan(lines.map((l) => ({ promptTokens: l.tokens, records: l.records })), { batch: true });
   */
  plan(estimates: readonly SpendEstimate[], options: { batch?: boolean } = {}): number {
    if (this.#exhausted) return 0;
    const planned: Spend = { tokens: 0, usd: 0 };
    for (let i = 0; i < estimates.length; i++) {
      const need = this.#costOf(this.#expected(estimates[i]!), options.batch);
      // Not spent: what the lines it covers leave over is for their repairs.
      if (!this.#fits(need, { tokens: this.#reserved.tokens + planned.tokens, usd: this.#reserved.usd + planned.usd })) return i;
      planned.tokens += need.tokens;
      planned.usd += need.usd;
    }
    return estimates.length;
  }

  /** Counts what a request already answered spent (a job's lines, downloaded). */
  charge(usage: TokenUsage, options: { batch?: boolean } = {}): void {
    const spend = this.#costOf(usage, options.batch);
    this.#spent.tokens += spend.tokens;
    this.#spent.usd += spend.usd;
  }

  /**
   * Tells `listener` what each request spent once it settles (what the server
   * counted, or its estimate after a timeout) — not what `charge` or
   * `chargeSpent` add. Returns the function that stops telling it.
   */
  onSpent(listener: (spend: BudgetSpend) => void): () => void {
    this.#spentListeners.add(listener);
    return () => this.#spentListeners.delete(listener);
  }

  /** Counts what requests of an earlier process spent (kept in a deferred run's job folder). */
  chargeSpent(spend: BudgetSpend): void {
    this.#spent.tokens += spend.tokens;
    this.#spent.usd += spend.usd;
  }

  /**
   * The limits in words.
   *
   * @example
   * new RunBudget({ maxTokens: 50000, maxCostUsd: 1 }, price).limitsText() // → 'maxTokens 50000, maxCostUsd $1'
   */
  limitsText(): string {
    const { maxTokens, maxCostUsd } = this.limits;
    return [maxTokens !== undefined && `maxTokens ${maxTokens}`, maxCostUsd !== undefined && `maxCostUsd $${maxCostUsd}`].filter(Boolean).join(', ');
  }

  /** Why requests are refused, in words, for the `budget` error's message. */
  refusal(): string {
    const { maxTokens, maxCostUsd } = this.limits;
    const used = [
      maxTokens !== undefined && `${Math.round(this.#spent.tokens)} of ${maxTokens} tokens`,
      maxCostUsd !== undefined && `$${roundUsd(this.#spent.usd)} of $${maxCostUsd}`,
    ].filter(Boolean);
    const need = this.#lastRefused;
    const next = need ? `; the next request needed about ${Math.round(need.tokens)} tokens${maxCostUsd !== undefined ? ` ($${roundUsd(need.usd)})` : ''}` : '';
    return `the run's budget is spent (${used.join(', ')} used${next}); nothing more was sent`;
  }

  #expected(estimate: SpendEstimate): TokenUsage {
    const scale = this.#estimatedPrompt > 0 ? this.#countedPrompt / this.#estimatedPrompt : 1;
    const perRecord = this.#answeredRecords > 0 ? this.#countedCompletion / this.#answeredRecords : PRIOR_COMPLETION_TOKENS_PER_RECORD;
    return {
      promptTokens: Math.ceil(estimate.promptTokens * scale),
      completionTokens: estimate.maxCompletionTokens ?? Math.ceil(estimate.records * perRecord),
    };
  }

  #costOf(usage: TokenUsage, batch = false): Spend {
    return { tokens: usage.promptTokens + usage.completionTokens, usd: this.#price ? costOf(usage, this.#price, { batch }) : 0 };
  }

  #fits(need: Spend, held: Spend): boolean {
    const { maxTokens, maxCostUsd } = this.limits;
    if (maxTokens !== undefined && this.#spent.tokens + held.tokens + need.tokens > maxTokens) return false;
    // A hair of slack for float sums: $0.1 + $0.2 must fit a $0.3 budget.
    if (maxCostUsd !== undefined && this.#spent.usd + held.usd + need.usd > maxCostUsd * (1 + 1e-9)) return false;
    return true;
  }

  #lease(need: Spend, estimate: SpendEstimate, batch: boolean | undefined): BudgetLease {
    this.#inFlight++;
    this.#reserved.tokens += need.tokens;
    this.#reserved.usd += need.usd;
    let open = true;
    const end = (spent: Spend | undefined) => {
      if (!open) return;
      open = false;
      this.#inFlight--;
      this.#reserved.tokens -= need.tokens;
      this.#reserved.usd -= need.usd;
      if (spent) {
        this.#spent.tokens += spent.tokens;
        this.#spent.usd += spent.usd;
        for (const listener of this.#spentListeners) listener(spent);
      }
      for (const wake of this.#waiters.splice(0)) wake();
    };
    return {
      settle: (usage) => {
        if (usage) this.#learn(estimate, usage);
        end(usage ? this.#costOf(usage, batch) : need);
      },
      release: () => end(undefined),
    };
  }

  #learn(estimate: SpendEstimate, usage: TokenUsage): void {
    if (estimate.promptTokens > 0 && usage.promptTokens > 0) {
      this.#estimatedPrompt += estimate.promptTokens;
      this.#countedPrompt += usage.promptTokens;
    }
    if (estimate.records > 0) {
      this.#answeredRecords += estimate.records;
      this.#countedCompletion += usage.completionTokens;
    }
  }

  #exhaust(need: Spend | undefined): void {
    this.#exhausted = true;
    this.#lastRefused ??= need;
    for (const wake of this.#waiters.splice(0)) wake();
  }

  #changed(signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => reject(signal!.reason);
      const wake = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      this.#waiters.push(wake);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

function roundUsd(usd: number): string {
  return usd >= 1 ? usd.toFixed(2) : usd.toPrecision(3).replace(/\.?0+$/, '');
}
