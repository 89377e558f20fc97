/**
 * Backoff strategies: how long to wait before retry number `attempt` (1 = the first
 * retry). Pure functions of their inputs and a random source, so tests can show
 * each strategy's sequence.
 */
/** How delays between attempts grow. */
export const RETRY_STRATEGIES = ['fixed', 'linear', 'exponential', 'exponential-jitter', 'decorrelated-jitter'] as const;
export type RetryStrategy = (typeof RETRY_STRATEGIES)[number];

export interface RetryDelayOptions {
  strategy: RetryStrategy;
  baseDelayMs: number;
  maxDelayMs: number;
}

/**
 * @param attempt 1 for the first retry
 * @param previousMs the delay used before this one (for decorrelated jitter)
 * @param random a source in [0, 1)
 *
 * @example
 * retryDelay({ strategy: 'exponential', baseDelayMs: 500, maxDelayMs: 8000 }, 3) // → 2000
 */
export function retryDelay(options: RetryDelayOptions, attempt: number, previousMs = options.baseDelayMs, random: () => number = Math.random): number {
  const { baseDelayMs: base, maxDelayMs: max } = options;
  const exponential = Math.min(max, base * 2 ** (attempt - 1));
  switch (options.strategy) {
    case 'fixed':
      return Math.min(max, base);
    case 'linear':
      return Math.min(max, base * attempt);
    case 'exponential':
      return exponential;
    case 'exponential-jitter':
      return Math.round(random() * exponential);
    case 'decorrelated-jitter': {
      const upper = Math.max(base, previousMs * 3);
      return Math.min(max, Math.round(base + random() * (upper - base)));
    }
  }
}

/**
 * The first `count` delays of a strategy, for docs and tests.
 *
 * @example
 * retryDelays({ strategy: 'linear', baseDelayMs: 100, maxDelayMs: 250 }, 4) // → [100, 200, 250, 250]
 */
export function retryDelays(options: RetryDelayOptions, count: number, random: () => number = Math.random): number[] {
  const delays: number[] = [];
  let previous = options.baseDelayMs;
  for (let attempt = 1; attempt <= count; attempt++) {
    previous = retryDelay(options, attempt, previous, random);
    delays.push(previous);
  }
  return delays;
}
