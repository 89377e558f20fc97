/**
 * The in-memory answer cache behind `cache: true`: least recently used entries go
 * first once it holds `maxEntries`. Implements {@link AnswerCache}, so a Redis or
 * file cache can stand in for it.
 */
import type { AnswerCache } from './answer-cache.js';

export interface LruCacheOptions {
  /**
   * Entries kept; the least recently read or written goes when one more is set.
   * Each holds one record's answer, so memory is about `maxEntries` × answer size.
   * @default 10_000
   */
  maxEntries?: number;
}

/**
 * @example
 * import { mlPredict, LruCache } from '@mlpredict/core';
 * const cache = new LruCache({ maxEntries: 50_000 });
 * records$.pipe(mlPredict(model, { cache })); // shared by every run given it
 */
export class LruCache implements AnswerCache {
  readonly maxEntries: number;
  // A Map iterates in insertion order: re-inserting on use keeps the oldest first.
  readonly #entries = new Map<string, unknown>();

  constructor(options: LruCacheOptions = {}) {
    const max = options.maxEntries ?? 10_000;
    if (!Number.isInteger(max) || max < 1) throw new TypeError(`LruCache: "maxEntries": expected an integer >= 1, got ${String(max)}`);
    this.maxEntries = max;
  }

  /** Entries held now. */
  get size(): number {
    return this.#entries.size;
  }

  get(key: string): unknown | undefined {
    if (!this.#entries.has(key)) return undefined;
    const value = this.#entries.get(key);
    this.#entries.delete(key);
    this.#entries.set(key, value);
    return value;
  }

  has(key: string): boolean {
    return this.#entries.has(key);
  }

  set(key: string, value: unknown): void {
    this.#entries.delete(key);
    this.#entries.set(key, value);
    if (this.#entries.size > this.maxEntries) this.#entries.delete(this.#entries.keys().next().value!);
  }

  delete(key: string): boolean {
    return this.#entries.delete(key);
  }

  clear(): void {
    this.#entries.clear();
  }
}
