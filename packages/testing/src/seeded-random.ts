/**
 * A small seeded PRNG (mulberry32), so a simulator run with the same seed injects
 * the same defects and latencies in the same order, run after run.
 */

/** A stream of repeatable pseudo-random numbers. */
export class SeededRandom {
  #state: number;

  /**
   * @example
   * const random = new SeededRandom(42);
   * random.next(); // the same number on every run with seed 42
   */
  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** True with probability `p` (0 never draws true, 1 always). */
  chance(p: number): boolean {
    // Draw even when p is 0 or 1, so changing one rate doesn't shift every later draw.
    const draw = this.next();
    return p > 0 && draw < p;
  }

  /** An integer in [min, max], both included. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** One element of a non-empty list. */
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
}

/**
 * Derives an independent stream from one seed, so (say) latency draws don't shift
 * the defect draws when latency settings change.
 *
 * @example
 * const defects = streamFor(7, 'defects');
 * const latency = streamFor(7, 'latency');
 */
export function streamFor(seed: number, purpose: string): SeededRandom {
  let hash = 2166136261 ^ (seed >>> 0);
  for (let i = 0; i < purpose.length; i++) hash = Math.imul(hash ^ purpose.charCodeAt(i), 16777619);
  return new SeededRandom(hash >>> 0);
}
