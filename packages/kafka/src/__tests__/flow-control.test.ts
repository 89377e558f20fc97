import { FlowControl } from '../flow-control.js';

function recorder(maxInFlight: number) {
  const calls: string[] = [];
  const flow = new FlowControl({
    maxInFlight,
    pause: (p) => calls.push(`pause ${p.join(',')}`),
    resume: (p) => calls.push(`resume ${p.join(',')}`),
  });
  return { flow, calls };
}

describe('FlowControl', () => {
  it('has room below the bound and resumes held partitions at half of it', () => {
    const { flow, calls } = recorder(4);
    flow.add(4);
    expect(flow.hasRoom).toBe(false);
    flow.hold(1, 'room');
    flow.hold(1, 'room'); // pausing twice pauses once
    flow.hold(2, 'room');
    expect(calls).toEqual(['pause 1', 'pause 2']);
    flow.release(1); // 3 in flight: above half
    expect(calls).toHaveLength(2);
    flow.release(1); // 2 = half
    expect(calls).toEqual(['pause 1', 'pause 2', 'resume 1', 'resume 2']);
    expect(flow.held).toEqual([]);
    expect(flow.peakInFlight).toBe(4);
    expect(flow.pauses).toBe(2);
  });

  it('keeps a partition paused while any reason holds it', () => {
    const { flow, calls } = recorder(2);
    flow.add(2);
    flow.hold(0, 'room');
    flow.hold(0, 'retry');
    flow.release(2);
    expect(calls).toEqual(['pause 0']);
    flow.unhold(0, 'retry');
    expect(calls).toEqual(['pause 0', 'resume 0']);
  });

  it('never resumes once frozen (shutting down)', () => {
    const { flow, calls } = recorder(2);
    flow.add(2);
    flow.hold(0, 'room');
    flow.freeze();
    flow.release(2);
    expect(calls).toEqual(['pause 0']);
  });

  it('rejects a bad bound and an over-release', () => {
    expect(() => recorder(0)).toThrow(/maxInFlight/);
    const { flow } = recorder(3);
    flow.add(1);
    expect(() => flow.release(2)).toThrow(RangeError);
  });
});
