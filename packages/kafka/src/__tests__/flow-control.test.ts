import { FlowControl } from '../flow-control.js';

function recorder(maxInFlight: number) {
  const calls: string[] = [];
  const flow = new FlowControl({
    maxInFlight,
    pause: (p) => calls.push(p ? `pause ${p.join(',')}` : 'pause all'),
    resume: (p) => calls.push(p ? `resume ${p.join(',')}` : 'resume all'),
  });
  return { flow, calls };
}

describe('FlowControl', () => {
  it('has room below the bound and resumes held partitions at half of it', () => {
    const { flow, calls } = recorder(4);
    flow.add(4);
    expect(flow.hasRoom).toBe(false);
    flow.hold(1);
    flow.hold(1); // pausing twice pauses once
    flow.hold(2);
    expect(calls).toEqual(['pause 1', 'pause 2']);
    flow.release(1); // 3 held: above half
    expect(calls).toHaveLength(2);
    flow.release(1); // 2 = half
    expect(calls).toEqual(['pause 1', 'pause 2', 'resume 1,2']);
    expect(flow.held).toEqual([]);
    expect(flow.peakInFlight).toBe(4);
    expect(flow.pauses).toBe(2);
  });

  it('while suspended, pauses and resumes of partitions wait: a partition call would end the topic-wide pause in kafkajs', () => {
    const { flow, calls } = recorder(2);
    flow.add(2);
    flow.suspend();
    flow.hold(0);
    flow.release(1);
    flow.hold(1);
    expect(calls).toEqual(['pause all']);
    flow.unsuspend();
    // The topic resumes, then what is still held is paused again.
    expect(calls).toEqual(['pause all', 'resume all', 'pause 1']);
  });

  it('forgetting a held partition resumes it, so it is not silent if assigned again', () => {
    const { flow, calls } = recorder(1);
    flow.add(1);
    flow.hold(3);
    flow.forget(3);
    expect(calls).toEqual(['pause 3', 'resume 3']);
    expect(flow.held).toEqual([]);
  });

  it('reapply pauses again what should be paused (after kafkajs restarted the consumer)', () => {
    const { flow, calls } = recorder(1);
    flow.add(1);
    flow.hold(0);
    flow.reapply();
    flow.suspend();
    flow.reapply();
    expect(calls).toEqual(['pause 0', 'pause 0', 'pause all', 'pause all']);
  });

  it('rejects a bad bound and an over-release', () => {
    expect(() => recorder(0)).toThrow(/maxInFlight/);
    const { flow } = recorder(3);
    flow.add(1);
    expect(() => flow.release(2)).toThrow(RangeError);
  });
});
