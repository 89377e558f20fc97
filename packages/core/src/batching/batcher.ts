/**
 * The batching stage: groups records by count, by time since a batch's first
 * record, and by an estimated token budget. The timer starts at a batch's first
 * record, so an idle source never emits empty batches.
 */
import { asyncScheduler, type SchedulerLike, type Subscription } from 'rxjs';

export interface BatchingSettings {
  /** Emit a batch when it holds this many records (with `auto`, the quality cap `maxBatchSize`). */
  size: number;
  /** `batchSize: 'auto'`: `size` is the cap and a run tunes below it; plans (dry runs, deferred jobs) use the cap. */
  auto?: boolean;
  /** Emit a partial batch this long after its first record arrived. */
  timeoutMs: number;
  /** Start a new batch rather than let the sum of token estimates exceed this. */
  maxTokens?: number;
  /** Runs the timeout; a TestScheduler in tests. */
  scheduler?: SchedulerLike;
}

/**
 * @example
 * const batcher = new Batcher({ size: 20, timeoutMs: 100 }, (r) => r.tokens, (batch) => send(batch));
 * for (const record of records) batcher.add(record);
 * batcher.flush(); // the last, partial batch
 */
export class Batcher<T> {
  #settings: BatchingSettings;
  readonly #tokensOf: (value: T) => number;
  readonly #emit: (batch: T[]) => void;
  #batch: T[] = [];
  #tokens = 0;
  #timer: Subscription | undefined;

  constructor(settings: BatchingSettings, tokensOf: (value: T) => number, emit: (batch: T[]) => void) {
    this.#settings = settings;
    this.#tokensOf = tokensOf;
    this.#emit = emit;
  }

  /** Records waiting in the open batch. */
  get pending(): number {
    return this.#batch.length;
  }

  /** Adds a record; emits the open batch first if the record would push it over the token budget, and after if it is full. */
  add(value: T): void {
    const cost = this.#tokensOf(value);
    const { size, maxTokens } = this.#settings;
    if (maxTokens !== undefined && this.#batch.length > 0 && this.#tokens + cost > maxTokens) this.flush();
    this.#batch.push(value);
    this.#tokens += cost;
    if (this.#batch.length >= size) this.flush();
    else if (this.#batch.length === 1 && Number.isFinite(this.#settings.timeoutMs)) {
      this.#timer = (this.#settings.scheduler ?? asyncScheduler).schedule(() => this.flush(), this.#settings.timeoutMs);
    }
  }

  /** The size and token budget batches are cut to now. */
  get limits(): { size: number; maxTokens?: number } {
    return { size: this.#settings.size, maxTokens: this.#settings.maxTokens };
  }

  /**
   * Changes the size and token budget of the batches cut from now on (a tuner
   * learned better ones); the open batch goes out at once if it is already full
   * by the new limits.
   *
   * @example
   * batcher.resize({ size: 10 }); // the open batch of 12 goes out now
   */
  resize(limits: { size?: number; maxTokens?: number }): void {
    this.#settings = { ...this.#settings, ...(limits.size !== undefined && { size: limits.size }), ...('maxTokens' in limits && { maxTokens: limits.maxTokens }) };
    const { size, maxTokens } = this.#settings;
    if (this.#batch.length >= size || (maxTokens !== undefined && this.#batch.length > 1 && this.#tokens > maxTokens)) this.flush();
  }

  /** Emits the open batch now, if it holds anything. */
  flush(): void {
    this.#timer?.unsubscribe();
    this.#timer = undefined;
    if (this.#batch.length === 0) return;
    const full = this.#batch;
    this.#batch = [];
    this.#tokens = 0;
    this.#emit(full);
  }

  /** Drops the open batch and its timer. */
  dispose(): void {
    this.#timer?.unsubscribe();
    this.#timer = undefined;
    this.#batch = [];
    this.#tokens = 0;
  }
}

/**
 * The batches records would be sent in, by count and token budget (timeouts
 * aside): what `--dry-run` shows, from the same rule a run uses.
 *
 * @example
 * planBatches(items, { size: 20, timeoutMs: 1000, maxTokens: 2000 }, (i) => i.tokens).map((b) => b.length) // → [20, 20, 7]
 */
export function planBatches<T>(values: Iterable<T>, settings: BatchingSettings, tokensOf: (value: T) => number): T[][] {
  const batches: T[][] = [];
  const batcher = new Batcher({ ...settings, timeoutMs: Infinity }, tokensOf, (batch) => batches.push(batch));
  for (const value of values) batcher.add(value);
  batcher.flush();
  return batches;
}
