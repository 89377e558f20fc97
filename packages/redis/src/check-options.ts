/**
 * Option checks shared by the quota, the source and the sink: a bad option
 * fails at construction with a TypeError naming it and the fix.
 */

/**
 * Throws a TypeError naming `name` unless `value` is undefined or a positive finite number (an integer when asked).
 *
 * @example
 * checkPositive('readCount', 0, { integer: true }); // throws: readCount must be a positive integer (got 0); leave it out for its default
 */
export function checkPositive(name: string, value: unknown, options: { integer?: boolean; min?: number } = {}): void {
  if (value === undefined) return;
  const min = options.min ?? 0;
  const ok =
    typeof value === 'number' && Number.isFinite(value) && value > 0 && value >= min && (!options.integer || Number.isInteger(value));
  if (!ok) {
    const what = options.integer ? 'a positive integer' : 'a positive number';
    const floor = min > 0 ? ` of at least ${min}` : '';
    throw new TypeError(`${name} must be ${what}${floor} (got ${JSON.stringify(value) ?? String(value)}); leave it out for its default`);
  }
}

/**
 * Throws a TypeError naming `name` unless `value` is a redis:// or rediss:// URL.
 *
 * @example
 * checkRedisUrl('url', 'localhost:6379'); // throws: url must be a Redis URL such as "redis://127.0.0.1:6379" …
 */
export function checkRedisUrl(name: string, value: unknown): void {
  if (typeof value !== 'string' || !/^rediss?:\/\//.test(value)) {
    throw new TypeError(`${name} must be a Redis URL such as "redis://127.0.0.1:6379" (got ${JSON.stringify(value) ?? String(value)})`);
  }
}

/**
 * Throws a TypeError naming `name` unless `value` is a non-empty string.
 *
 * @example
 * checkName('group', '', 'sentiment'); // throws: group must be a non-empty string such as "sentiment" (got "")
 */
export function checkName(name: string, value: unknown, example: string): void {
  if (typeof value !== 'string' || value.length === 0) {
    throw new TypeError(`${name} must be a non-empty string such as "${example}" (got ${JSON.stringify(value) ?? String(value)})`);
  }
}
