/**
 * The Kafka source alone, on the FakeKafka, read by hand the way runSource reads
 * it: what a message carries, commits behind acks, pauses at the bound and while
 * nobody reads, rewinds on nack, rebalances, crashes and close.
 */
import { getEventListeners } from 'node:events';
import type { PipelineConsumer } from '../kafka-client.js';
import { kafkaSource, type KafkaSource, type KafkaSourceMessage, type KafkaSourceOptions } from '../kafka-source.js';
import { FakeKafka } from '../testing/index.js';
import { withFinalCrash } from './helpers.js';

const live = new AbortController().signal;
const opened: KafkaSource<unknown>[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
});

async function open(kafka: FakeKafka, options: Partial<KafkaSourceOptions> = {}, groupId = 'g'): Promise<KafkaSource<unknown>> {
  const source = await kafkaSource({ consumer: kafka.consumer({ groupId }), topic: 't', fromBeginning: true, retryDelayMs: 5, ...options });
  opened.push(source);
  return source;
}

async function read(source: KafkaSource<unknown>, count: number): Promise<KafkaSourceMessage<unknown>[]> {
  const messages: KafkaSourceMessage<unknown>[] = [];
  for (let i = 0; i < count; i++) messages.push((await source.next(live))!);
  return messages;
}

const commitsOf = (kafka: FakeKafka) => kafka.log.flatMap((e) => (e.type === 'commit' ? [`${e.partition}@${e.offset}`] : []));
const range = (n: number, partition?: number) => Array.from({ length: n }, (_, i) => ({ value: JSON.stringify({ i }), partition }));

describe('kafkaSource on FakeKafka', () => {
  it('hands out decoded messages with their key, partition and origin; an undecodable one is marked invalid with its raw text', async () => {
    const kafka = new FakeKafka({ topics: { t: 2 } });
    kafka.append('t', [
      { key: 'a', value: '{"text":"Great"}', partition: 0 },
      { key: 'b', value: 'not json', partition: 0 },
      { key: 'c', value: null, partition: 1 },
    ]);
    const source = await open(kafka);
    const byKey = new Map((await read(source, 3)).map((m) => [m.key, m]));
    expect([...byKey.keys()].sort()).toEqual(['t/0/0', 't/0/1', 't/1/0']);
    const first = byKey.get('t/0/0')!;
    expect(first).toMatchObject({ partition: 't/0', record: { text: 'Great' }, current: true });
    expect(first.invalid).toBeUndefined();
    expect(first.origin).toEqual({ topic: 't', partition: 0, offset: '0', key: Buffer.from('a') });
    expect(byKey.get('t/0/1')!.record).toBe('not json'); // the default decoder keeps non-JSON as text
    const tombstone = byKey.get('t/1/0')!;
    expect(tombstone.record).toBeNull();
    expect(tombstone.invalid).toBe('decode failed: message has no value (a tombstone)');
  });

  it('takes turns between partitions, each in offset order', async () => {
    const kafka = new FakeKafka({ topics: { t: 2 } });
    kafka.append('t', [...range(3, 0), ...range(3, 1)]);
    const source = await open(kafka);
    await kafka.waitFor(() => source.stats().buffered === 6);
    const keys = (await read(source, 6)).map((m) => m.key);
    expect(keys).toEqual(['t/0/0', 't/1/0', 't/0/1', 't/1/1', 't/0/2', 't/1/2']);
  });

  it('commits a partition only through its contiguous acked prefix, whatever the order of acks', async () => {
    const kafka = new FakeKafka({ topics: { t: 1 } });
    kafka.append('t', range(3));
    const source = await open(kafka);
    const [m0, m1, m2] = await read(source, 3);
    await m2!.ack();
    await m0!.ack();
    await kafka.waitFor(() => kafka.committed('g', 't')[0] === '1');
    expect(commitsOf(kafka)).toEqual(['0@1']); // not past 1, whose result is not out
    await m1!.ack();
    await kafka.waitFor(() => kafka.committed('g', 't')[0] === '3');
    expect(commitsOf(kafka)).toEqual(['0@1', '0@3']);
    expect(source.stats()).toMatchObject({ taken: 3, handedOut: 3, acked: 3, inFlight: 0, committed: { 0: '3' } });
  });

  it('an ack that arrives while a commit is finishing is committed too (none is lost between two commits)', async () => {
    const kafka = new FakeKafka({ topics: { t: 1 } });
    kafka.append('t', range(20));
    const source = await open(kafka);
    // One microtask between acks: each lands at a different point of the commit in flight.
    for (const message of await read(source, 20)) await message.ack();
    await kafka.waitFor(() => kafka.committed('g', 't')[0] === '20');
    const offsets = commitsOf(kafka).map((c) => Number(c.split('@')[1]));
    expect(offsets).toEqual([...offsets].sort((a, b) => a - b)); // rising
  });

  it('pauses the partitions that would feed more at maxInFlight, and resumes them at half', async () => {
    const kafka = new FakeKafka({ topics: { t: 2 }, maxBatchSize: 3 });
    kafka.append('t', [...range(10, 0), ...range(10, 1)]);
    const source = await open(kafka, { maxInFlight: 4 });
    await kafka.waitFor(() => source.stats().paused.length === 2);
    // Nothing past the bound was taken, so nothing past it is skipped either.
    expect(source.stats()).toMatchObject({ inFlight: 4, buffered: 4 });
    expect(Number(kafka.fetchPosition('g', 't', 0) + kafka.fetchPosition('g', 't', 1))).toBe(4);
    const held = await read(source, 4);
    await held[0]!.ack(); // 3 held: above half
    expect(source.stats().paused).toHaveLength(2);
    expect(kafka.log.filter((e) => e.type === 'resume')).toEqual([]);
    await held[1]!.ack(); // 2 held: half
    const resumes = kafka.log.flatMap((e) => (e.type === 'resume' ? [e.partitions] : []));
    expect(resumes.map((p) => [...(p ?? [])].sort())).toEqual([[0, 1]]);
    await kafka.waitFor(() => source.stats().taken > 4);
    expect(source.stats().inFlight).toBeLessThanOrEqual(4);
    expect(source.stats().peakInFlight).toBe(4);
  });

  it('pauses the whole topic when a next() is aborted (nobody reads), and resumes on the next next()', async () => {
    const kafka = new FakeKafka({ topics: { t: 1 } });
    const source = await open(kafka);
    const reading = new AbortController();
    const pending = source.next(reading.signal);
    reading.abort();
    await expect(pending).resolves.toBeUndefined();
    expect(kafka.log.filter((e) => e.type === 'pause')).toEqual([expect.objectContaining({ topic: 't', partitions: undefined })]);
    kafka.append('t', range(2));
    await kafka.waitForChange(60); // a few fetch rounds
    expect(source.stats().taken).toBe(0);
    const [message] = await read(source, 1);
    expect(message!.key).toBe('t/0/0');
    expect(kafka.log.some((e) => e.type === 'resume' && e.partitions === undefined)).toBe(true);
  });

  it('pauses the whole topic when the signal of an earlier next() aborts, though no next() is pending (the runner stopped at its bound)', async () => {
    const kafka = new FakeKafka({ topics: { t: 1 } });
    kafka.append('t', range(3));
    const source = await open(kafka);
    const reading = new AbortController();
    await source.next(reading.signal);
    reading.abort();
    expect(kafka.log.filter((e) => e.type === 'pause')).toEqual([expect.objectContaining({ topic: 't', partitions: undefined })]);
  });

  it('a message handed back (nack) rewinds its partition: Kafka delivers it and what follows again', async () => {
    const kafka = new FakeKafka({ topics: { t: 1 } });
    kafka.append('t', range(3));
    const source = await open(kafka);
    const [m0, m1, m2] = await read(source, 3);
    await m0!.ack();
    await m1!.nack!();
    expect(kafka.log.filter((e) => e.type === 'seek')).toEqual([expect.objectContaining({ partition: 0, offset: '1' })]);
    expect(m2!.current).toBe(false); // after the rewind point: it comes again
    const again = await read(source, 2);
    expect(again.map((m) => m.key)).toEqual(['t/0/1', 't/0/2']);
    await m2!.ack(); // the stale copy commits nothing
    await kafka.waitForChange(20);
    expect(commitsOf(kafka)).toEqual(['0@1']);
    for (const m of again) await m.ack();
    await kafka.waitFor(() => kafka.committed('g', 't')[0] === '3');
    expect(source.stats()).toMatchObject({ taken: 5, handedBack: 1, dropped: 1 });
  });

  it('on a rebalance, a revoked partition is dropped unacked: its messages commit nothing here and its new owner reads them again', async () => {
    const kafka = new FakeKafka({ topics: { t: 2 } });
    kafka.append('t', [...range(3, 0), ...range(3, 1)]);
    const first = await open(kafka);
    await kafka.waitFor(() => first.stats().buffered === 6);
    const held = await read(first, 2); // one of each partition
    const second = await open(kafka);
    await kafka.waitFor(() => first.stats().rebalances === 2);
    expect(kafka.assignment('g', 't')).toEqual({ 'member-1': [0], 'member-2': [1] });
    const lost = held.find((m) => m.origin.partition === 1)!;
    const kept = held.find((m) => m.origin.partition === 0)!;
    expect([lost.current, kept.current]).toEqual([false, true]);
    expect(first.stats().dropped).toBe(2); // p1's buffered messages
    await lost.ack();
    await kept.ack();
    await kafka.waitFor(() => kafka.committed('g', 't')[0] === '1');
    expect(kafka.committed('g', 't')[1]).toBeUndefined();
    // The new owner starts partition 1 from its (absent) commit: the start.
    const taken = await read(second, 3);
    expect(taken.map((m) => m.key)).toEqual(['t/1/0', 't/1/1', 't/1/2']);
  });

  it('when kafkajs gives up on the consumer (a crash without restart), next() rejects and onCrash is told', async () => {
    const kafka = new FakeKafka({ topics: { t: 1 } });
    const { consumer: final, crash } = withFinalCrash(kafka.consumer({ groupId: 'g' }));
    const crashes: unknown[] = [];
    const source = await kafkaSource({ consumer: final, topic: 't', onCrash: (e) => crashes.push(e) });
    opened.push(source);
    const pending = source.next(live);
    const boom = new Error('broker gone for good');
    crash(boom);
    await expect(pending).rejects.toBe(boom);
    await expect(source.next(live)).rejects.toBe(boom);
    expect(crashes).toEqual([boom]);
  });

  it('close() commits what is acked, lets the buffered messages go uncommitted, and disconnects', async () => {
    const kafka = new FakeKafka({ topics: { t: 1 } });
    kafka.append('t', range(5));
    const source = await open(kafka);
    await kafka.waitFor(() => source.stats().buffered === 5);
    const [m0] = await read(source, 2);
    const reading = new AbortController().signal;
    await source.next(reading);
    expect(getEventListeners(reading, 'abort')).toHaveLength(1); // watched: its abort would pause the topic
    await m0!.ack();
    await source.close();
    expect(getEventListeners(reading, 'abort')).toHaveLength(0); // nothing left hanging on the reader's signal
    expect(kafka.committed('g', 't')).toEqual({ 0: '1' });
    expect(source.stats()).toMatchObject({ dropped: 2, buffered: 0 });
    expect(kafka.openClients).toBe(0);
    await expect(source.next(live)).resolves.toBeUndefined();
  });

  it('rejects bad options with a TypeError naming them', async () => {
    const kafka = new FakeKafka();
    await expect(kafkaSource({ consumer: undefined as unknown as PipelineConsumer, topic: 't' })).rejects.toThrow(/consumer: expected a kafkajs consumer/);
    await expect(kafkaSource({ consumer: kafka.consumer({ groupId: 'g' }), topic: '' })).rejects.toThrow(/topic/);
    await expect(kafkaSource({ consumer: kafka.consumer({ groupId: 'g' }), topic: 't', maxInFlight: 0 })).rejects.toThrow(/maxInFlight: expected an integer ≥ 1, got 0/);
    expect(kafka.openClients).toBe(0);
  });
});
