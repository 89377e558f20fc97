/**
 * Backpressure for a consumer: counts records in flight and pauses the
 * partitions that would feed more while the count is at its bound, resuming them
 * once it has drained to half. A partition can also be held for other reasons (a
 * retry delay); it is fetched again only when no reason holds it.
 */

/** Why a partition is paused. */
export type HoldReason = 'room' | 'retry';

export interface FlowControlInit {
  /** Records in flight at which fetching stops. */
  maxInFlight: number;
  pause(partitions: number[]): void;
  resume(partitions: number[]): void;
}

/**
 * @example
 * const flow = new FlowControl({ maxInFlight: 100, pause: (p) => consumer.pause([{ topic, partitions: p }]),
 *   resume: (p) => consumer.resume([{ topic, partitions: p }]) });
 * if (!flow.hasRoom) flow.hold(partition, 'room'); else flow.add(1);
 * // … later, when a result is out:
 * flow.release(1); // resumes held partitions once in flight ≤ 50
 */
export class FlowControl {
  readonly maxInFlight: number;
  /** Fetching resumes at or below this many; half the bound, so a resume is worth a fetch. */
  readonly resumeAt: number;
  readonly #pause: (partitions: number[]) => void;
  readonly #resume: (partitions: number[]) => void;
  readonly #holds = new Map<number, Set<HoldReason>>();
  #inFlight = 0;
  #peak = 0;
  #pauses = 0;
  #frozen = false;

  constructor(init: FlowControlInit) {
    if (!Number.isInteger(init.maxInFlight) || init.maxInFlight < 1) {
      throw new TypeError(`maxInFlight: expected an integer ≥ 1, got ${String(init.maxInFlight)}`);
    }
    this.maxInFlight = init.maxInFlight;
    this.resumeAt = Math.floor(init.maxInFlight / 2);
    this.#pause = init.pause;
    this.#resume = init.resume;
  }

  /** Records taken from Kafka whose result is not yet produced (or dropped). */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** The most records ever in flight at once. */
  get peakInFlight(): number {
    return this.#peak;
  }

  /** How many times a partition was paused. */
  get pauses(): number {
    return this.#pauses;
  }

  get hasRoom(): boolean {
    return this.#inFlight < this.maxInFlight;
  }

  /** Partitions currently held, for any reason. */
  get held(): number[] {
    return [...this.#holds.keys()];
  }

  isHeld(partition: number): boolean {
    return this.#holds.has(partition);
  }

  add(records: number): void {
    this.#inFlight += records;
    if (this.#inFlight > this.#peak) this.#peak = this.#inFlight;
  }

  release(records: number): void {
    this.#inFlight -= records;
    if (this.#inFlight < 0) throw new RangeError(`released more records than were in flight (${this.#inFlight})`);
    if (this.#inFlight <= this.resumeAt) this.#unhold('room');
  }

  /** Pauses `partition` until every reason given for it is lifted. */
  hold(partition: number, reason: HoldReason): void {
    let reasons = this.#holds.get(partition);
    if (!reasons) {
      this.#holds.set(partition, (reasons = new Set()));
      this.#pauses++;
      this.#pause([partition]);
    }
    reasons.add(reason);
  }

  /** Lifts one reason; the partition resumes when none is left. */
  unhold(partition: number, reason: HoldReason): void {
    const reasons = this.#holds.get(partition);
    if (!reasons?.delete(reason) || reasons.size > 0) return;
    this.#holds.delete(partition);
    if (!this.#frozen) this.#resume([partition]);
  }

  /** Forgets a partition (revoked); it is not resumed by us again. */
  forget(partition: number): void {
    this.#holds.delete(partition);
  }

  /** Pauses again every held partition; after a consumer restart, kafkajs forgets pauses. */
  reapply(): void {
    const partitions = this.held;
    if (partitions.length) this.#pause(partitions);
  }

  /** Stops every resume for good: the pipeline is shutting down. */
  freeze(): void {
    this.#frozen = true;
  }

  #unhold(reason: HoldReason): void {
    for (const partition of this.held) this.unhold(partition, reason);
  }
}
