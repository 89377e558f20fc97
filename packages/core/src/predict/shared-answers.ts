/**
 * `cache`: identical records are answered once. Within a run, a record whose key
 * is already being asked waits for that answer instead of being sent again; across
 * runs (and for later duplicates) answers come from the cache. Either way the
 * record's result says `via: 'cache'`.
 */
import type { AnswerCache } from '../cache/answer-cache.js';
import type { Settlement, WorkItem } from './work-item.js';

export class SharedAnswers {
  readonly #cache: AnswerCache;
  readonly #keyOf: (text: string) => string;
  /** Key → records waiting on the request that carries the first of them. */
  readonly #waiting = new Map<string, WorkItem[]>();

  /**
   * @example
   * const shared = new SharedAnswers(new LruCache(), runCacheKey(model.name, options));
   */
  constructor(cache: AnswerCache, keyOf: (text: string) => string) {
    this.#cache = cache;
    this.#keyOf = keyOf;
  }

  keyOf(text: string): string {
    return this.#keyOf(text);
  }

  /**
   * Of a batch about to be sent, settles the cached records, parks duplicates of
   * records already asked, and returns the ones that still need the model.
   */
  async filter(items: readonly WorkItem[], settle: (item: WorkItem, s: Settlement) => void): Promise<WorkItem[]> {
    const leaders: WorkItem[] = [];
    for (const item of items) {
      const key = item.cacheKey!;
      const waiting = this.#waiting.get(key);
      if (waiting) waiting.push(item);
      else {
        this.#waiting.set(key, []);
        leaders.push(item);
      }
    }
    const hits = await Promise.all(leaders.map(async (item) => this.#cache.get(item.cacheKey!)));
    const toSend: WorkItem[] = [];
    leaders.forEach((item, i) => {
      if (hits[i] === undefined) toSend.push(item);
      else this.settled(item, { value: hits[i], via: 'cache' }, settle);
    });
    return toSend;
  }

  /**
   * Called for every settlement of a keyed record: remembers a value and answers
   * the records waiting on it (with the same value, or the same error).
   */
  settled(item: WorkItem, settlement: Settlement, settle: (item: WorkItem, s: Settlement) => void): void {
    const key = item.cacheKey!;
    const waiting = this.#waiting.get(key);
    if (!waiting) return settle(item, settlement);
    this.#waiting.delete(key);
    if ('value' in settlement && settlement.via !== 'cache') void Promise.resolve(this.#cache.set(key, settlement.value)).catch(() => undefined);
    settle(item, settlement);
    const shared: Settlement = 'value' in settlement ? { value: settlement.value, via: 'cache' } : settlement;
    for (const follower of waiting) settle(follower, shared);
  }
}
