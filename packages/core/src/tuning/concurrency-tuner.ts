/**
 * `concurrency: 'auto'`: how many batches a run keeps in flight, found while it
 * runs. It starts at a safe level and, like TCP's slow start, doubles each round
 * trip while the records answered per second rise (by a quarter or more) and
 * latency holds; when doubling stops paying (two rounds without a gain, the way
 * BBR detects a full pipe) it settles at the best level seen and then grows by
 * one per round while latency holds. A 429 (rate limit or concurrency refusal)
 * or a timeout halves it, at most once per round trip, since one wave of
 * refusals is one signal; latency more than twice its best backs it off.
 *
 * A round ends when as many requests have ended as the limit allowed when it
 * began. Rounds in which no batch waited for a slot (the input, not the limit,
 * held the run back) decide nothing.
 */
import type { TuneEvent } from '../results/events.js';

/** One request that ended, as the call stage reports it. */
export interface RequestSample {
  ok: boolean;
  /** For failures: 'rate_limited', 'timeout', 'http', … */
  errorKind?: string;
  /** From sending to the answer: the server's time, without waits for our own quota (they say nothing about the server's load). */
  latencyMs: number;
  records: number;
}

export interface ConcurrencyTunerOptions {
  /** Where it starts. */
  start: number;
  /** It never goes above (the model's `maxConcurrency`, or the tuner's own ceiling). */
  max: number;
  min?: number;
  now?: () => number;
}

/** A concurrency decision, as an event without its setting. */
export type ConcurrencyDecision = Omit<TuneEvent, 'setting'>;

/** Throughput must rise by this factor for a doubling to count as paying. */
const GAIN = 1.25;
/** Rounds without that gain before slow start ends. */
const STALLED_ROUNDS = 2;
/** Latency over this multiple of the best round's stops growth and backs off. */
const LATENCY_LIMIT = 2;
/** In the steady phase, latency under this multiple of the best lets it grow by one. */
const LATENCY_HOLDS = 1.5;

interface Round {
  startedAt: number;
  /** The limit when it began: the round ends after this many requests. */
  size: number;
  ended: number;
  records: number;
  latencySum: number;
  answered: number;
  busy: number;
}

export class ConcurrencyTuner {
  readonly #max: number;
  readonly #min: number;
  readonly #now: () => number;
  #limit: number;
  #phase: 'slow-start' | 'steady' = 'slow-start';
  #round: Round;
  #best = { throughput: 0, limit: 0 };
  #stalled = 0;
  /** The lowest mean latency of a round at this batch size. */
  #baseLatency: number | undefined;
  /** No second cut for pushback until this time (one cut per round trip). */
  #calmUntil = 0;

  /**
   * @example
   * const tuner = new ConcurrencyTuner({ start: 8, max: 64 });
   * const decision = tuner.onRequest({ ok: true, latencyMs: 210, records: 50 }, true);
   * if (decision) console.log(decision.message); // a round ended: "…: 8 → 16"
   */
  constructor(options: ConcurrencyTunerOptions) {
    this.#min = Math.max(1, options.min ?? 1);
    this.#max = Math.max(this.#min, options.max);
    this.#now = options.now ?? Date.now;
    this.#limit = Math.min(this.#max, Math.max(this.#min, options.start));
    this.#round = this.#newRound();
  }

  /** Batches allowed in flight now. */
  get limit(): number {
    return this.#limit;
  }

  get phase(): 'slow-start' | 'steady' {
    return this.#phase;
  }

  /**
   * A request ended. `busy`: batches were waiting for a slot, so the limit (not
   * the input) was holding the run back. Returns the decision, if one was made.
   */
  onRequest(sample: RequestSample, busy: boolean): ConcurrencyDecision | undefined {
    if (!sample.ok) {
      if (sample.errorKind === 'rate_limited' || sample.errorKind === 'timeout') return this.#pushedBack(sample);
      return undefined; // a 400 or a 500 says nothing about how many may be in flight
    }
    const round = this.#round;
    round.ended++;
    round.records += sample.records;
    round.latencySum += sample.latencyMs;
    round.answered++;
    if (busy) round.busy++;
    if (round.ended < round.size) return undefined;
    return this.#endRound(round);
  }

  /** The batch size changed: latencies before and after don't compare. */
  resetLatency(): void {
    this.#baseLatency = undefined;
  }

  #pushedBack(sample: RequestSample): ConcurrencyDecision | undefined {
    const now = this.#now();
    this.#phase = 'steady';
    if (now < this.#calmUntil) return undefined;
    this.#calmUntil = now + Math.max(sample.latencyMs, this.#baseLatency ?? 0, 1);
    const reason = sample.errorKind === 'timeout' ? 'timeout' : 'rate_limited';
    const why = reason === 'timeout' ? 'a request timed out' : 'the server refused a request (429)';
    return this.#set(Math.max(this.#min, Math.floor(this.#limit / 2)), reason, `${why}: halved`);
  }

  #endRound(round: Round): ConcurrencyDecision | undefined {
    const now = this.#now();
    const throughput = (round.records * 1000) / Math.max(1, now - round.startedAt);
    const latency = round.latencySum / Math.max(1, round.answered);
    this.#baseLatency = Math.min(this.#baseLatency ?? latency, latency);
    this.#round = this.#newRound();
    // Rounds the input held back say nothing about the limit.
    if (round.busy * 2 < round.ended) return undefined;
    const perSecond = `${throughput.toFixed(0)} records/s`;
    const ms = `${latency.toFixed(0)} ms per request (best ${this.#baseLatency.toFixed(0)} ms)`;

    if (latency > LATENCY_LIMIT * this.#baseLatency) {
      const lower = this.#phase === 'slow-start' && this.#best.limit > 0 ? Math.min(this.#best.limit, this.#limit) : this.#limit - Math.max(1, Math.floor(this.#limit / 4));
      this.#phase = 'steady';
      return this.#set(Math.max(this.#min, lower), 'latency', `latency rose to ${ms}`);
    }
    if (this.#phase === 'slow-start') {
      if (throughput >= GAIN * this.#best.throughput) {
        this.#best = { throughput, limit: round.size };
        this.#stalled = 0;
        return this.#set(Math.min(this.#max, this.#limit * 2), 'throughput', `${round.size} in flight answered ${perSecond}, ${ms}: doubled`);
      }
      if (++this.#stalled < STALLED_ROUNDS) return undefined;
      this.#phase = 'steady';
      return this.#set(Math.min(this.#limit, this.#best.limit), 'plateau', `more in flight stopped helping (${perSecond}; best ${this.#best.throughput.toFixed(0)} records/s at ${this.#best.limit})`);
    }
    if (latency <= LATENCY_HOLDS * this.#baseLatency) return this.#set(Math.min(this.#max, this.#limit + 1), 'throughput', `latency holds (${ms}): one more`);
    return undefined;
  }

  #set(to: number, reason: ConcurrencyDecision['reason'], why: string): ConcurrencyDecision | undefined {
    const from = this.#limit;
    if (to === from) return undefined;
    this.#limit = to;
    // The round in progress measured the old limit; the next one measures this.
    this.#round = this.#newRound();
    return { from, to, reason, message: `concurrency ${from} → ${to}: ${why}` };
  }

  #newRound(): Round {
    return { startedAt: this.#now(), size: this.#limit, ended: 0, records: 0, latencySum: 0, answered: 0, busy: 0 };
  }
}
