/**
 * Which input offsets may be committed: per partition, the records taken from
 * Kafka in offset order, which of them have a result ready, which are being
 * produced and which are out. Only the contiguous produced prefix is committable,
 * so a commit never covers a record whose result is not in the output topic.
 *
 * Offsets are compared as bigints and never computed as `offset + 1` of the
 * previous record: compacted topics and transaction markers leave gaps.
 */

type EntryState = 'pending' | 'ready' | 'sending';

interface Entry<M> {
  offset: bigint;
  state: EntryState;
  /** The outgoing message, once the record's result is known. */
  message?: M;
}

/** Records handed to the producer from one partition, in offset order. */
export interface SendSlice<M> {
  readonly track: PartitionTrack<M>;
  readonly offsets: readonly bigint[];
  readonly messages: readonly M[];
}

/**
 * One partition's records since the last reset (a produce failure or a
 * rebalance that kept the partition). A reset replaces the track; results that
 * still point at the old one are stale and dropped.
 */
export class PartitionTrack<M> {
  readonly #entries: Entry<M>[] = [];
  /** Entries before this index have been handed to the producer. */
  #sentCount = 0;
  /** The offset after the last record taken; offsets below it are already being handled. */
  #nextOffset: bigint | undefined;
  /** The offset after the contiguous produced prefix: what a commit would say. */
  #producedThrough: bigint | undefined;
  #committed: bigint | undefined;

  constructor(
    readonly partition: number,
    start: { from?: bigint; producedThrough?: bigint; committed?: bigint } = {},
  ) {
    this.#nextOffset = start.from;
    this.#producedThrough = start.producedThrough;
    this.#committed = start.committed;
  }

  /** True when `offset` was already taken by this track (a redelivery after a rebalance). */
  hasSeen(offset: bigint): boolean {
    return this.#nextOffset !== undefined && offset < this.#nextOffset;
  }

  /** Records a record taken from Kafka; offsets must rise. */
  take(offset: bigint): void {
    if (this.hasSeen(offset)) throw new RangeError(`offset ${offset} of partition ${this.partition} was already taken`);
    this.#entries.push({ offset, state: 'pending' });
    this.#nextOffset = offset + 1n;
  }

  /** The record's outgoing message is known; it may be produced once all before it are. */
  settle(offset: bigint, message: M): void {
    const entry = this.#entries.find((e) => e.offset === offset);
    if (!entry || entry.state !== 'pending') throw new RangeError(`offset ${offset} of partition ${this.partition} is not awaiting a result`);
    entry.state = 'ready';
    entry.message = message;
  }

  /**
   * Hands out the ready records that follow everything already handed out, in
   * offset order, so a partition's results leave in input order even when they
   * were answered out of order.
   */
  takeSendable(): SendSlice<M> | undefined {
    const offsets: bigint[] = [];
    const messages: M[] = [];
    while (this.#sentCount < this.#entries.length && this.#entries[this.#sentCount]!.state === 'ready') {
      const entry = this.#entries[this.#sentCount++]!;
      entry.state = 'sending';
      offsets.push(entry.offset);
      messages.push(entry.message!);
    }
    return offsets.length ? { track: this, offsets, messages } : undefined;
  }

  /**
   * The producer acknowledged a slice from {@link takeSendable}. Slices are
   * acknowledged in the order they were taken, so the produced records are always
   * the oldest ones: they leave the track and the commit point moves past them.
   */
  produced(slice: SendSlice<M>): void {
    const count = slice.offsets.length;
    const head = this.#entries.slice(0, count);
    if (head.length !== count || head.some((e, i) => e.state !== 'sending' || e.offset !== slice.offsets[i])) {
      throw new RangeError(`partition ${this.partition}: acknowledged records are not the oldest ones being sent`);
    }
    this.#entries.splice(0, count);
    this.#sentCount -= count;
    this.#producedThrough = slice.offsets[count - 1]! + 1n;
  }

  /** The offset to commit now, if the produced prefix moved past the last commit. */
  commitTarget(): bigint | undefined {
    const through = this.#producedThrough;
    return through !== undefined && (this.#committed === undefined || through > this.#committed) ? through : undefined;
  }

  /** A commit of `offset` succeeded. */
  committed(offset: bigint): void {
    if (this.#committed === undefined || offset > this.#committed) this.#committed = offset;
  }

  get lastCommitted(): bigint | undefined {
    return this.#committed;
  }

  /** Where Kafka must deliver from again so nothing unproduced is skipped. */
  get redeliverFrom(): bigint | undefined {
    return this.#entries[0]?.offset ?? this.#nextOffset;
  }

  /** Records taken and not yet produced. */
  get size(): number {
    return this.#entries.length;
  }

  /** Records with a result that were not handed to the producer (dropped on reset). */
  get unsentReady(): number {
    let n = 0;
    for (let i = this.#sentCount; i < this.#entries.length; i++) if (this.#entries[i]!.state === 'ready') n++;
    return n;
  }

  /** A fresh track that starts where this one must be redelivered from, keeping the commit state. */
  successor(): PartitionTrack<M> {
    // What this track produced but had not committed yet stays committable.
    return new PartitionTrack<M>(this.partition, { from: this.redeliverFrom, producedThrough: this.#producedThrough, committed: this.#committed });
  }
}

/**
 * The current {@link PartitionTrack} of every partition this consumer feeds.
 *
 * @example
 * const tracker = new OffsetTracker<string>();
 * const track = tracker.track(0);
 * track.take(5n); track.take(6n);
 * track.settle(6n, 'b');             // 6 is answered first …
 * track.takeSendable();              // … → undefined: 5 must leave first
 * track.settle(5n, 'a');
 * const slice = track.takeSendable()!; // offsets [5n, 6n]
 * track.produced(slice);
 * track.commitTarget();              // → 7n
 */
export class OffsetTracker<M> {
  readonly #tracks = new Map<number, PartitionTrack<M>>();

  /** The partition's current track, created on first sight. */
  track(partition: number): PartitionTrack<M> {
    let track = this.#tracks.get(partition);
    if (!track) this.#tracks.set(partition, (track = new PartitionTrack<M>(partition)));
    return track;
  }

  /** True while `track` is still the partition's current one. */
  isCurrent(track: PartitionTrack<M>): boolean {
    return this.#tracks.get(track.partition) === track;
  }

  /**
   * Starts the partition over from its first unproduced record (after a failed
   * produce); returns the retired track, whose results are now stale.
   */
  reset(partition: number): PartitionTrack<M> | undefined {
    const old = this.#tracks.get(partition);
    if (old) this.#tracks.set(partition, old.successor());
    return old;
  }

  /** Forgets a partition this consumer no longer owns (revoked in a rebalance). */
  revoke(partition: number): PartitionTrack<M> | undefined {
    const old = this.#tracks.get(partition);
    this.#tracks.delete(partition);
    return old;
  }

  /** Every partition's ready records, in partition then offset order. */
  takeSendable(): SendSlice<M>[] {
    const slices: SendSlice<M>[] = [];
    for (const track of this.#tracks.values()) {
      const slice = track.takeSendable();
      if (slice) slices.push(slice);
    }
    return slices;
  }

  /** `{ partition, offset }` for each partition whose produced prefix is past its last commit. */
  commitTargets(): { partition: number; offset: bigint }[] {
    const targets: { partition: number; offset: bigint }[] = [];
    for (const track of this.#tracks.values()) {
      const offset = track.commitTarget();
      if (offset !== undefined) targets.push({ partition: track.partition, offset });
    }
    return targets;
  }

  /** A commit succeeded; a partition revoked or reset meanwhile keeps the newest knowledge. */
  committed(partition: number, offset: bigint): void {
    this.#tracks.get(partition)?.committed(offset);
  }

  get partitions(): number[] {
    return [...this.#tracks.keys()];
  }
}
