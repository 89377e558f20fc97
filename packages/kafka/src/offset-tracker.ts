/**
 * Which input offsets may be committed: per partition, the messages taken from
 * Kafka in offset order and which of them are acked (their result is written).
 * Only the contiguous acked prefix is committable, so a commit never covers a
 * message whose result is not out, even when acks arrive out of order.
 *
 * Offsets are compared as bigints and never computed as `offset + 1` of the
 * previous message: compacted topics and transaction markers leave gaps.
 */

type EntryState = 'open' | 'acked' | 'returned';

interface Entry {
  offset: bigint;
  state: EntryState;
}

/**
 * One partition's messages since it was assigned (or last rewound). A rewind or
 * a revocation retires the track; acks that still point at a retired track
 * change nothing, and Kafka delivers those messages again.
 */
export class PartitionTrack {
  /** Taken and not yet in the acked prefix, in offset order; the first one is never acked. */
  readonly #entries: Entry[] = [];
  readonly #byOffset = new Map<bigint, Entry>();
  /** The offset after the last message taken; offsets below it are being handled already. */
  #nextOffset: bigint | undefined;
  /** The offset after the contiguous acked prefix: what a commit would say. */
  #ackedThrough: bigint | undefined;
  #committed: bigint | undefined;

  constructor(
    readonly partition: number,
    start: { from?: bigint; ackedThrough?: bigint; committed?: bigint } = {},
  ) {
    this.#nextOffset = start.from;
    this.#ackedThrough = start.ackedThrough;
    this.#committed = start.committed;
  }

  /** True when `offset` was already taken by this track (a redelivery after a rebalance that kept the partition). */
  hasSeen(offset: bigint): boolean {
    return this.#nextOffset !== undefined && offset < this.#nextOffset;
  }

  /** Records a message taken from Kafka; offsets must rise. */
  take(offset: bigint): void {
    if (this.hasSeen(offset)) throw new RangeError(`offset ${offset} of partition ${this.partition} was already taken`);
    const entry: Entry = { offset, state: 'open' };
    this.#entries.push(entry);
    this.#byOffset.set(offset, entry);
    this.#nextOffset = offset + 1n;
  }

  /** The message's result is written; the acked prefix grows past it once every earlier message is acked too. */
  ack(offset: bigint): void {
    this.#open(offset).state = 'acked';
    while (this.#entries[0]?.state === 'acked') {
      const entry = this.#entries.shift()!;
      this.#byOffset.delete(entry.offset);
      this.#ackedThrough = entry.offset + 1n;
    }
  }

  /** The message will not be answered here: nothing from it on may be committed by this track. */
  giveBack(offset: bigint): void {
    this.#open(offset).state = 'returned';
  }

  /** The offset to commit now, if the acked prefix moved past the last commit. */
  commitTarget(): bigint | undefined {
    const through = this.#ackedThrough;
    return through !== undefined && (this.#committed === undefined || through > this.#committed) ? through : undefined;
  }

  /** A commit of `offset` succeeded. */
  committed(offset: bigint): void {
    if (this.#committed === undefined || offset > this.#committed) this.#committed = offset;
  }

  /** Where Kafka must deliver from again so that nothing unacked is skipped. */
  get redeliverFrom(): bigint | undefined {
    return this.#entries[0]?.offset ?? this.#nextOffset;
  }

  /** Messages taken and not yet in the acked prefix. */
  get size(): number {
    return this.#entries.length;
  }

  /** A fresh track that starts where this one must be delivered from again, keeping what it acked and committed. */
  successor(): PartitionTrack {
    return new PartitionTrack(this.partition, { from: this.redeliverFrom, ackedThrough: this.#ackedThrough, committed: this.#committed });
  }

  #open(offset: bigint): Entry {
    const entry = this.#byOffset.get(offset);
    if (entry?.state !== 'open') throw new RangeError(`offset ${offset} of partition ${this.partition} is not awaiting its result`);
    return entry;
  }
}

/**
 * The current {@link PartitionTrack} of every partition this consumer feeds.
 *
 * @example
 * const tracker = new OffsetTracker();
 * const track = tracker.track(0);
 * track.take(5n); track.take(6n);
 * track.ack(6n);
 * tracker.commitTargets(); // → [] : 5 has no result yet
 * track.ack(5n);
 * tracker.commitTargets(); // → [{ partition: 0, offset: 7n }]
 */
export class OffsetTracker {
  readonly #tracks = new Map<number, PartitionTrack>();

  /** The partition's current track, made on first sight. */
  track(partition: number): PartitionTrack {
    let track = this.#tracks.get(partition);
    if (!track) this.#tracks.set(partition, (track = new PartitionTrack(partition)));
    return track;
  }

  /** True while `track` is still its partition's current one. */
  isCurrent(track: PartitionTrack): boolean {
    return this.#tracks.get(track.partition) === track;
  }

  /**
   * Starts the partition over from its first unacked message (a message was
   * handed back); returns the retired track. What it acked stays committable.
   */
  rewind(partition: number): PartitionTrack | undefined {
    const old = this.#tracks.get(partition);
    if (old) this.#tracks.set(partition, old.successor());
    return old;
  }

  /** Forgets a partition this consumer no longer owns (revoked in a rebalance). */
  revoke(partition: number): PartitionTrack | undefined {
    const old = this.#tracks.get(partition);
    this.#tracks.delete(partition);
    return old;
  }

  /** `{ partition, offset }` for each partition whose acked prefix is past its last commit. */
  commitTargets(): { partition: number; offset: bigint }[] {
    const targets: { partition: number; offset: bigint }[] = [];
    for (const track of this.#tracks.values()) {
      const offset = track.commitTarget();
      if (offset !== undefined) targets.push({ partition: track.partition, offset });
    }
    return targets;
  }

  /** A commit succeeded; a partition revoked meanwhile is not brought back. */
  committed(partition: number, offset: bigint): void {
    this.#tracks.get(partition)?.committed(offset);
  }

  get partitions(): number[] {
    return [...this.#tracks.keys()];
  }
}
