/**
 * `cache`: identical records are answered once. Within a run, a record whose key
 * is already being asked waits for that answer instead of being sent again; across
 * runs (and for later duplicates) answers come from the cache. Either way the
 * record's result says `via: 'cache'`. The cache keeps the model's raw answer, and
 * a hit is checked against the run's `valueSchema` like a fresh answer.
 */
import type { AnswerCache } from '../cache/answer-cache.js';
import type { Settlement, WorkItem } from './work-item.js';

type SettleFn = (item: WorkItem, settlement: Settlement) => void;

export class SharedAnswers {
  readonly #cache: AnswerCache;
  readonly #keyOf: (text: string, input?: unknown) => string;
  readonly #fromCache: (raw: unknown) => Settlement | Promise<Settlement>;
  /** Key → records waiting on the request that carries the first of them. */
  readonly #waiting = new Map<string, WorkItem[]>();

  /**
   * @example
   * const shared = new SharedAnswers(new LruCache(), runCacheKey(model.name, resolved), (raw) => ({ value: raw, via: 'cache' }));
   */
  constructor(cache: AnswerCache, keyOf: (text: string, input?: unknown) => string, fromCache: (raw: unknown) => Settlement | Promise<Settlement>) {
    this.#cache = cache;
    this.#keyOf = keyOf;
    this.#fromCache = fromCache;
  }

  /** The record's key, or undefined for one that can't be keyed (a circular input the template reads): it is asked on its own. */
  keyOf(text: string, input?: unknown): string | undefined {
    try {
      return this.#keyOf(text, input);
    } catch {
      return undefined;
    }
  }

  /**
   * Of a batch about to be sent, settles the cached records, parks duplicates of
   * records already asked, and returns the ones that still need the model.
   */
  async filter(items: readonly WorkItem[], settle: SettleFn): Promise<WorkItem[]> {
    const leaders: WorkItem[] = [];
    const unkeyed: WorkItem[] = [];
    for (const item of items) {
      const key = item.cacheKey;
      if (key === undefined) {
        unkeyed.push(item);
        continue;
      }
      const waiting = this.#waiting.get(key);
      if (waiting) waiting.push(item);
      else {
        this.#waiting.set(key, []);
        leaders.push(item);
      }
    }
    const hits = await Promise.all(leaders.map(async (item) => this.#cache.get(item.cacheKey!)));
    const toSend: WorkItem[] = unkeyed;
    for (const [i, item] of leaders.entries()) {
      const hit = hits[i];
      if (hit === undefined) toSend.push(item);
      else this.settled(item, await this.#fromCache(hit), settle);
    }
    return toSend;
  }

  /**
   * Called for every settlement of a keyed record: remembers a fresh answer and
   * answers the records waiting on it (with the same value, or the same error).
   */
  settled(item: WorkItem, settlement: Settlement, settle: SettleFn): void {
    const key = item.cacheKey!;
    const waiting = this.#waiting.get(key);
    if (!waiting) return settle(item, settlement);
    this.#waiting.delete(key);
    if ('value' in settlement && settlement.via !== 'cache') {
      void Promise.resolve(this.#cache.set(key, 'raw' in settlement ? settlement.raw : settlement.value)).catch(() => undefined);
    }
    settle(item, settlement);
    const shared: Settlement = 'value' in settlement ? { value: settlement.value, ...('raw' in settlement && { raw: settlement.raw }), via: 'cache' } : settlement;
    for (const follower of waiting) settle(follower, shared);
  }
}
