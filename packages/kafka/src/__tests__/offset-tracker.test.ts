import { OffsetTracker, PartitionTrack } from '../offset-tracker.js';

describe('PartitionTrack', () => {
  it('commits only the contiguous produced prefix, and hands out results in offset order', () => {
    const track = new PartitionTrack<string>(0);
    for (const o of [10n, 11n, 12n]) track.take(o);
    track.settle(12n, 'c');
    track.settle(11n, 'b');
    expect(track.takeSendable()).toBeUndefined(); // 10 has no result yet
    expect(track.commitTarget()).toBeUndefined();

    track.settle(10n, 'a');
    const slice = track.takeSendable()!;
    expect(slice.offsets).toEqual([10n, 11n, 12n]);
    expect(slice.messages).toEqual(['a', 'b', 'c']);
    expect(track.commitTarget()).toBeUndefined(); // handed out is not produced

    track.produced(slice);
    expect(track.commitTarget()).toBe(13n);
    track.committed(13n);
    expect(track.commitTarget()).toBeUndefined();
    expect(track.size).toBe(0);
  });

  it('does not assume offsets are contiguous (compacted topics)', () => {
    const track = new PartitionTrack<string>(0);
    track.take(3n);
    track.take(7n);
    track.settle(3n, 'a');
    track.produced(track.takeSendable()!);
    expect(track.commitTarget()).toBe(4n);
    expect(track.redeliverFrom).toBe(7n);
    expect(track.hasSeen(5n)).toBe(true);
    expect(track.hasSeen(8n)).toBe(false);
  });

  it('refuses an offset taken twice and an acknowledgement out of order', () => {
    const track = new PartitionTrack<string>(1);
    track.take(0n);
    track.take(1n);
    expect(() => track.take(1n)).toThrow(RangeError);
    track.settle(0n, 'a');
    const first = track.takeSendable()!;
    track.settle(1n, 'b');
    const second = track.takeSendable()!;
    expect(() => track.produced(second)).toThrow(RangeError);
    track.produced(first);
    track.produced(second);
    expect(track.commitTarget()).toBe(2n);
  });
});

describe('OffsetTracker', () => {
  it('a reset starts over from the first unproduced offset and keeps the uncommitted produced prefix', () => {
    const tracker = new OffsetTracker<string>();
    const track = tracker.track(0);
    for (const o of [0n, 1n, 2n, 3n]) track.take(o);
    track.settle(0n, 'a');
    track.produced(track.takeSendable()!); // 0 is out, not committed
    track.settle(1n, 'b');
    track.takeSendable(); // 1 is being sent … and fails
    track.settle(2n, 'c'); // ready, not handed out

    expect(track.unsentReady).toBe(1);
    const old = tracker.reset(0)!;
    expect(old).toBe(track);
    expect(tracker.isCurrent(track)).toBe(false);
    const next = tracker.track(0);
    expect(next.redeliverFrom).toBe(1n);
    expect(next.hasSeen(0n)).toBe(true); // produced: skip if delivered again
    expect(next.hasSeen(1n)).toBe(false); // must be taken again
    expect(tracker.commitTargets()).toEqual([{ partition: 0, offset: 1n }]);
  });

  it('a revoked partition has nothing left to commit', () => {
    const tracker = new OffsetTracker<string>();
    const track = tracker.track(2);
    track.take(5n);
    track.settle(5n, 'x');
    track.produced(track.takeSendable()!);
    expect(tracker.commitTargets()).toEqual([{ partition: 2, offset: 6n }]);
    tracker.revoke(2);
    expect(tracker.commitTargets()).toEqual([]);
    expect(tracker.isCurrent(track)).toBe(false);
    tracker.committed(2, 6n); // a late commit acknowledgement is harmless
    expect(tracker.partitions).toEqual([]);
  });
});
