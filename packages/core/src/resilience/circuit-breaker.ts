/**
 * Stops per-record fallback from storming the endpoint when batches keep failing:
 * after `failureThreshold` unusable batch answers in a row it opens for
 * `cooldownMs`, refusing fallback calls; then it lets one through (half-open) and
 * closes on its success.
 */
export class CircuitBreaker {
  #failures = 0;
  #openUntil = 0;
  #trialInFlight = false;
  readonly #threshold: number;
  readonly #cooldownMs: number;
  readonly #now: () => number;

  /**
   * @example
   * const breaker = new CircuitBreaker({ failureThreshold: 5, cooldownMs: 30_000 });
   * if (breaker.allow()) { … } else { // record gets code 'circuit_open' }
   */
  constructor(options: { failureThreshold: number; cooldownMs: number }, now: () => number = Date.now) {
    this.#threshold = options.failureThreshold;
    this.#cooldownMs = options.cooldownMs;
    this.#now = now;
  }

  get state(): 'closed' | 'open' | 'half-open' {
    if (this.#failures < this.#threshold) return 'closed';
    return this.#now() < this.#openUntil ? 'open' : 'half-open';
  }

  /** May a fallback call go out now? In half-open state, only one at a time. */
  allow(): boolean {
    const state = this.state;
    if (state === 'closed') return true;
    if (state === 'open' || this.#trialInFlight) return false;
    this.#trialInFlight = true;
    return true;
  }

  recordSuccess(): void {
    this.#failures = 0;
    this.#trialInFlight = false;
  }

  /** A trial that ended neither way (aborted, timed out): the next call may try again. */
  releaseTrial(): void {
    this.#trialInFlight = false;
  }

  recordFailure(): void {
    this.#failures++;
    this.#trialInFlight = false;
    if (this.#failures >= this.#threshold) this.#openUntil = this.#now() + this.#cooldownMs;
  }
}
