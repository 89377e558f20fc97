/**
 * Transport-level trouble, drawn per admitted request: what a provider or the
 * network does to a request regardless of what it asked.
 */
import type { SeededRandom } from '../seeded-random.js';

/** Each fault's probability (0..1) per request, and the fault's parameters. */
export interface FaultRates {
  /** A 429 with `retry-after-ms: retryAfterMs`, answered at once. */
  rateLimit?: number;
  /** An HTTP 500, after the latency. */
  serverError?: number;
  /** An HTTP 503, after the latency. */
  unavailable?: number;
  /** Never answers, until the client aborts or the simulator closes. */
  hang?: number;
  /** Destroys the connection without answering, after the latency. */
  reset?: number;
  /** Answers normally, `slowMs` later than the latency says. */
  slow?: number;
  /** Extra delay of a `slow` answer (default 1000). */
  slowMs?: number;
  /** The `retry-after-ms` of a `rateLimit` fault's 429 (default 100). */
  retryAfterMs?: number;
}

/** The fault names that are probabilities, in the order they are drawn. */
export const FAULT_NAMES = ['rateLimit', 'serverError', 'unavailable', 'hang', 'reset', 'slow'] as const;
export type FaultName = (typeof FAULT_NAMES)[number];

/** What happens to one request: at most one failure, and maybe slowness. */
export interface DrawnFault {
  failure?: Exclude<FaultName, 'slow'>;
  slow: boolean;
}

/**
 * Draws every fault (one draw each, always, so a seed repeats); when several fire
 * the first in {@link FAULT_NAMES} order wins.
 *
 * @example
 * drawFault({ hang: 1 }, new SeededRandom(1)); // → { failure: 'hang', slow: false }
 */
export function drawFault(rates: FaultRates, random: SeededRandom): DrawnFault {
  const fired = FAULT_NAMES.filter((name) => random.chance(rates[name] ?? 0));
  const failure = fired.find((name): name is Exclude<FaultName, 'slow'> => name !== 'slow');
  return { failure, slow: fired.includes('slow') };
}
