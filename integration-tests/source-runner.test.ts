/**
 * The source contract, shown on an in-memory at-least-once queue and the
 * simulator over HTTP: results written once per message in read order, no ack
 * before its result is written, reading paused at the bound, a killed reader's
 * messages answered after a restart, retried writes, and a fatal error that
 * stops the run without acking anything it did not answer.
 */
import { runSource, type SourceResult } from '@mlpredict/core';
import { memoryQueue, sentimentOf, startSimulator, type Simulator } from '@mlpredict/testing';
import { modelAt, reviews, sleep } from './support';

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ latencyMs: [5, 15], seed: 3 });
});
afterAll(() => sim.close());
beforeEach(() => {
  sim.configure({ latencyMs: [5, 15], apiKey: undefined });
  sim.resetStats();
});

const options = { batchSize: 10, batchTimeoutMs: 5, concurrency: 4, valueField: 'sentiment' };
type Result = SourceResult<string, unknown>;
const valueOf = (r: Result) => (r.ok ? r.value : r.error.code);

it('writes one result per message, in read order, and acks each only after its result is written', async () => {
  const inputs = reviews(237);
  const queue = memoryQueue<string, Result>(inputs);
  const run = runSource({ source: queue.source(), sink: queue.sink(), model: modelAt(sim.url), options });
  await run.done;

  expect(queue.violations).toEqual([]);
  expect(queue.drained).toBe(true);
  expect(queue.writes.map((w) => w.key)).toEqual(inputs.map((_, i) => `m${i}`));
  expect(queue.writes.map((w) => valueOf(w.result))).toEqual(inputs.map(sentimentOf));
  expect(queue.acks).toEqual(inputs.map((_, i) => `m${i}`));
  expect(run.stats()).toMatchObject({ state: 'stopped', read: 237, written: 237, acked: 237, nacked: 0, inFlight: 0 });
});

it('pauses reading at maxInFlight: never more messages unacked than the bound', async () => {
  sim.configure({ latencyMs: 30 });
  const queue = memoryQueue<string, Result>(reviews(120));
  const run = runSource({ source: queue.source(), sink: queue.sink(), model: modelAt(sim.url), options, maxInFlight: 15 });
  await run.done;
  expect(run.stats().peakInFlight).toBeLessThanOrEqual(15);
  expect(run.stats().peakInFlight).toBeGreaterThanOrEqual(10);
  expect(queue.drained).toBe(true);
  expect(queue.violations).toEqual([]);
});

it('a reader killed mid-run without acking: after a restart every message has its result, none acked before it', async () => {
  sim.configure({ latencyMs: 40 });
  const inputs = reviews(200);
  const queue = memoryQueue<string, Result>(inputs);
  const first = queue.source({ endWhenEmpty: false });
  const doomed = runSource({ source: first, sink: queue.sink(), model: modelAt(sim.url), options: { ...options, concurrency: 2 }, shutdownTimeoutMs: 0 });
  while (queue.acks.length < 30) await sleep(5);
  // The process dies: whatever it leased and did not ack goes back to the queue.
  queue.crash(first.id);
  await doomed.stop().catch(() => undefined);
  const ackedBefore = queue.acks.length;
  expect(ackedBefore).toBeGreaterThanOrEqual(30);
  expect(ackedBefore).toBeLessThan(200);

  sim.configure({ latencyMs: 5 });
  const second = runSource({ source: queue.source(), sink: queue.sink(), model: modelAt(sim.url), options });
  await second.done;

  expect(queue.violations).toEqual([]);
  expect(queue.drained).toBe(true);
  // At least once: every message has a written result, and each written result is right.
  const byKey = new Map(queue.writes.map((w) => [w.key, w.result]));
  expect([...byKey.keys()].sort()).toEqual(inputs.map((_, i) => `m${i}`).sort());
  for (const w of queue.writes) expect(valueOf(w.result)).toBe(sentimentOf(w.result.input));
  // Only what the first reader had not acked was delivered again.
  expect(inputs.filter((_, i) => queue.deliveries(`m${i}`) > 1).length).toBeLessThanOrEqual(200 - ackedBefore);
});

it('stop() drains gracefully: batches in flight finish and are acked; unread messages wait for the next reader', async () => {
  sim.configure({ latencyMs: 30 });
  const queue = memoryQueue<string, Result>(reviews(300));
  const run = runSource({ source: queue.source({ endWhenEmpty: false }), sink: queue.sink(), model: modelAt(sim.url), options, maxInFlight: 40 });
  while (queue.writes.length < 20) await sleep(5);
  await run.stop();
  const stats = run.stats();
  expect(stats.state).toBe('stopped');
  expect(stats.acked).toBe(stats.read); // everything read was answered and acked
  expect(stats.read).toBeLessThan(300);
  expect(queue.violations).toEqual([]);

  const rest = runSource({ source: queue.source(), sink: queue.sink(), model: modelAt(sim.url), options });
  await rest.done;
  expect(queue.drained).toBe(true);
  expect(queue.writes).toHaveLength(300); // none twice: the graceful stop acked all it had read
});

it('retries a failed write and acks nothing until the write succeeds', async () => {
  const queue = memoryQueue<string, Result>(reviews(25));
  const sink = queue.sink();
  let failures = 0;
  const acksDuringFailures: number[] = [];
  const flaky = {
    write: async (entries: Parameters<typeof sink.write>[0]) => {
      if (failures < 2) {
        failures++;
        acksDuringFailures.push(queue.acks.length);
        throw new Error('disk full');
      }
      await sink.write(entries);
    },
  };
  const errors: unknown[] = [];
  const run = runSource({ source: queue.source(), sink: flaky, model: modelAt(sim.url), options, retryDelayMs: 5, onWriteError: (e) => errors.push(e) });
  await run.done;
  expect(acksDuringFailures).toEqual([0, 0]);
  expect(errors).toHaveLength(2);
  expect(run.stats()).toMatchObject({ writeFailures: 2, written: 25, acked: 25 });
  expect(queue.writes).toHaveLength(25);
  expect(queue.violations).toEqual([]);
});

it('stops at a fatal model error (bad key): done rejects naming it, nothing unanswered is acked', async () => {
  sim.configure({ apiKey: 'the-right-key' });
  const queue = memoryQueue<string, Result>(reviews(60));
  const run = runSource({ source: queue.source(), sink: queue.sink(), model: modelAt(sim.url, { apiKey: 'wrong' }), options });
  await expect(run.done).rejects.toThrow(/HTTP 401/);
  expect(queue.acks).toEqual([]);
  expect(queue.writes).toEqual([]);
  expect(run.stats().state).toBe('failed');
  expect(sim.stats.chatRequests).toBeLessThanOrEqual(2 * options.concurrency);
  // The messages are still there for a fixed setup.
  sim.configure({ apiKey: undefined });
  const again = runSource({ source: queue.source(), sink: queue.sink(), model: modelAt(sim.url), options });
  await again.done;
  expect(queue.drained).toBe(true);
});

it('gives an undecodable message a bad_input result in its place, without sending it', async () => {
  const queue = memoryQueue<string, Result>(['Great phone, love it', 'terrible, broke']);
  const base = queue.source();
  let n = 0;
  const source = {
    next: async (signal: AbortSignal) => {
      const m = await base.next(signal);
      if (m && n++ === 0) return { ...m, ack: m.ack, invalid: 'the "record" field is not JSON' };
      return m;
    },
    close: () => base.close(),
  };
  const run = runSource({ source, sink: queue.sink(), model: modelAt(sim.url), options });
  await run.done;
  expect(queue.writes.map((w) => valueOf(w.result))).toEqual(['bad_input', 'negative']);
  expect(queue.writes[0]!.result.error?.message).toBe('the "record" field is not JSON');
  expect(queue.drained).toBe(true);
});

it('stop() with a sink that never recovers: after shutdownTimeoutMs the unwritten results are handed back, not retried forever', async () => {
  const queue = memoryQueue<string, Result>(reviews(40));
  let attempts = 0;
  // A sink whose broker went away for good: every write fails.
  const dead = {
    write: async () => {
      attempts++;
      throw new Error('broker unreachable');
    },
  };
  const run = runSource({ source: queue.source({ endWhenEmpty: false }), sink: dead, model: modelAt(sim.url), options, retryDelayMs: 60_000, shutdownTimeoutMs: 20 });
  while (attempts === 0) await sleep(5);
  // The retry waits 60 s; the grace period (20 ms) ends it.
  await run.stop();
  const stats = run.stats();
  expect(stats).toMatchObject({ state: 'stopped', written: 0, acked: 0, inFlight: 0 });
  expect(stats.nacked).toBe(stats.read);
  expect(stats.read).toBeGreaterThan(0);
  expect(queue.acks).toEqual([]);
  expect(queue.violations).toEqual([]);
  // Handed back: the next reader gets every message.
  const again = runSource({ source: queue.source(), sink: queue.sink(), model: modelAt(sim.url), options });
  await again.done;
  expect(queue.drained).toBe(true);
});
