import fc from 'fast-check';
import { OffsetTracker, PartitionTrack } from '../offset-tracker.js';

describe('PartitionTrack', () => {
  it('commits only the contiguous acked prefix', () => {
    const track = new PartitionTrack(0);
    for (const o of [10n, 11n, 12n]) track.take(o);
    track.ack(12n);
    track.ack(11n);
    expect(track.commitTarget()).toBeUndefined(); // 10 has no result yet
    track.ack(10n);
    expect(track.commitTarget()).toBe(13n);
    track.committed(13n);
    expect(track.commitTarget()).toBeUndefined();
    expect(track.size).toBe(0);
  });

  it('does not assume offsets are contiguous (compacted topics)', () => {
    const track = new PartitionTrack(0);
    track.take(3n);
    track.take(7n);
    track.ack(3n);
    expect(track.commitTarget()).toBe(4n);
    expect(track.redeliverFrom).toBe(7n);
    expect(track.hasSeen(5n)).toBe(true);
    expect(track.hasSeen(8n)).toBe(false);
  });

  it('refuses an offset taken twice, and an ack of what is not awaiting one', () => {
    const track = new PartitionTrack(1);
    track.take(0n);
    track.take(1n);
    expect(() => track.take(1n)).toThrow(RangeError);
    expect(() => track.ack(5n)).toThrow(RangeError);
    track.ack(0n);
    expect(() => track.ack(0n)).toThrow(RangeError);
    track.giveBack(1n);
    expect(() => track.ack(1n)).toThrow(RangeError);
  });

  it('a message handed back blocks every commit past it', () => {
    const track = new PartitionTrack(0);
    for (const o of [0n, 1n, 2n]) track.take(o);
    track.ack(0n);
    track.giveBack(1n);
    track.ack(2n);
    expect(track.commitTarget()).toBe(1n);
    expect(track.redeliverFrom).toBe(1n);
  });

  it('property: whatever the order of acks, the commit target is the offset after the longest acked prefix, never past an unacked offset', () => {
    const scenario = fc
      .uniqueArray(fc.bigInt({ min: 0n, max: 1000n }), { minLength: 1, maxLength: 40 })
      .map((offsets) => offsets.sort((a, b) => (a < b ? -1 : 1)))
      .chain((offsets) => fc.tuple(fc.constant(offsets), fc.shuffledSubarray(offsets)));
    fc.assert(
      fc.property(scenario, ([offsets, acked]) => {
        const track = new PartitionTrack(0);
        for (const o of offsets) track.take(o);
        const done = new Set<bigint>();
        for (const o of acked) {
          track.ack(o);
          done.add(o);
          const target = track.commitTarget();
          const prefix = offsets.findIndex((x) => !done.has(x));
          const expected = prefix === 0 ? undefined : (prefix === -1 ? offsets.at(-1)! : offsets[prefix - 1]!) + 1n;
          expect(target).toBe(expected);
          // Never covers an unacked offset.
          if (target !== undefined) expect(offsets.filter((x) => x < target && !done.has(x))).toEqual([]);
        }
      }),
    );
  });
});

describe('OffsetTracker', () => {
  it('a rewind starts over from the first unacked offset and keeps the acked prefix committable', () => {
    const tracker = new OffsetTracker();
    const track = tracker.track(0);
    for (const o of [0n, 1n, 2n, 3n]) track.take(o);
    track.ack(0n);
    track.giveBack(1n);
    track.ack(2n);

    const old = tracker.rewind(0)!;
    expect(old).toBe(track);
    expect(tracker.isCurrent(track)).toBe(false);
    const next = tracker.track(0);
    expect(next.redeliverFrom).toBe(1n);
    expect(next.hasSeen(0n)).toBe(true); // acked: skipped if delivered again
    expect(next.hasSeen(1n)).toBe(false); // must be taken again
    expect(tracker.commitTargets()).toEqual([{ partition: 0, offset: 1n }]);
  });

  it('a revoked partition has nothing left to commit', () => {
    const tracker = new OffsetTracker();
    const track = tracker.track(2);
    track.take(5n);
    track.ack(5n);
    expect(tracker.commitTargets()).toEqual([{ partition: 2, offset: 6n }]);
    tracker.revoke(2);
    expect(tracker.commitTargets()).toEqual([]);
    expect(tracker.isCurrent(track)).toBe(false);
    tracker.committed(2, 6n); // a late commit acknowledgement is harmless
    expect(tracker.partitions).toEqual([]);
  });
});
