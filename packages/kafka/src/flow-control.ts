/**
 * Backpressure for a Kafka consumer: counts the messages a source holds (taken
 * from Kafka and not yet acked, handed back or dropped) and pauses the partitions
 * that would feed more while the count is at its bound, resuming them once it
 * has drained to half, so a resume is worth a fetch. The whole topic can also be
 * suspended (nobody is reading, or the source is closing).
 *
 * Why partitions and not just "stop taking": what a handler leaves unresolved
 * is fetched again at once, so without a pause kafkajs would fetch the same
 * messages in a loop while the runner is busy.
 */

export interface FlowControlInit {
  /** Messages held at which fetching stops. */
  maxInFlight: number;
  /** Pauses these partitions of the topic, or the whole topic when `partitions` is undefined. */
  pause(partitions?: number[]): void;
  /** Resumes these partitions, or the whole topic when `partitions` is undefined. */
  resume(partitions?: number[]): void;
}

/**
 * @example
 * const flow = new FlowControl({ maxInFlight: 100,
 *   pause: (partitions) => consumer.pause([{ topic, partitions }]),
 *   resume: (partitions) => consumer.resume([{ topic, partitions }]) });
 * if (!flow.hasRoom) flow.hold(partition); else flow.add(1);
 * // … later, when the message is acked:
 * flow.release(1); // resumes held partitions once 50 or fewer are held
 */
export class FlowControl {
  readonly maxInFlight: number;
  /** Fetching resumes at or below this many. */
  readonly resumeAt: number;
  readonly #pause: (partitions?: number[]) => void;
  readonly #resume: (partitions?: number[]) => void;
  readonly #held = new Set<number>();
  #inFlight = 0;
  #peak = 0;
  #pauses = 0;
  #suspended = false;

  constructor(init: FlowControlInit) {
    if (!Number.isInteger(init.maxInFlight) || init.maxInFlight < 1) {
      throw new TypeError(`maxInFlight: expected an integer ≥ 1, got ${String(init.maxInFlight)}`);
    }
    this.maxInFlight = init.maxInFlight;
    this.resumeAt = Math.floor(init.maxInFlight / 2);
    this.#pause = init.pause;
    this.#resume = init.resume;
  }

  /** Messages held now. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** The most messages ever held at once. */
  get peakInFlight(): number {
    return this.#peak;
  }

  /** How many times a partition was paused for room. */
  get pauses(): number {
    return this.#pauses;
  }

  get hasRoom(): boolean {
    return this.#inFlight < this.maxInFlight;
  }

  /** Partitions paused for room now. */
  get held(): number[] {
    return [...this.#held];
  }

  /** True while the whole topic is paused. */
  get suspended(): boolean {
    return this.#suspended;
  }

  isHeld(partition: number): boolean {
    return this.#held.has(partition);
  }

  add(messages: number): void {
    this.#inFlight += messages;
    if (this.#inFlight > this.#peak) this.#peak = this.#inFlight;
  }

  release(messages: number): void {
    if (messages > this.#inFlight) throw new RangeError(`released ${messages} messages with ${this.#inFlight} held`);
    this.#inFlight -= messages;
    if (this.#inFlight > this.resumeAt || this.#held.size === 0) return;
    const partitions = this.held;
    this.#held.clear();
    if (!this.#suspended) this.#resume(partitions);
  }

  /** Pauses `partition` until enough room is free again. */
  hold(partition: number): void {
    if (this.#held.has(partition)) return;
    this.#held.add(partition);
    this.#pauses++;
    if (!this.#suspended) this.#pause([partition]);
  }

  /**
   * Forgets a partition (revoked). It is resumed in the consumer, which keeps
   * pauses across rebalances: paused, it would stay silent if assigned again.
   */
  forget(partition: number): void {
    if (this.#held.delete(partition) && !this.#suspended) this.#resume([partition]);
  }

  /** Pauses the whole topic: nobody reads, or the source is closing. */
  suspend(): void {
    if (this.#suspended) return;
    this.#suspended = true;
    this.#pause();
  }

  /** Ends a suspension; partitions held for room stay paused. */
  unsuspend(): void {
    if (!this.#suspended) return;
    this.#suspended = false;
    // kafkajs: resuming the topic clears every pause; pausing partitions then ends the topic-wide pause.
    this.#resume();
    if (this.#held.size) this.#pause(this.held);
  }

  /** Pauses again what should be paused: a consumer that kafkajs restarted has forgotten its pauses. */
  reapply(): void {
    if (this.#suspended) this.#pause();
    else if (this.#held.size) this.#pause(this.held);
  }
}
