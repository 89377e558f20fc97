/**
 * The cache interface `cache:` accepts. An in-memory LRU is the default for
 * `cache: true`; implement `get`/`set` over Redis, a file or a database to keep
 * answers across runs.
 */
export interface AnswerCache {
  get(key: string): unknown | undefined | Promise<unknown | undefined>;
  set(key: string, value: unknown): void | Promise<void>;
}
