/**
 * The fake itself: it is only worth testing a pipeline against if it behaves
 * like kafkajs where the pipeline depends on it.
 */
import type { EachBatchPayload } from 'kafkajs';
import { FakeKafka, FakeKafkaError } from '../testing/index.js';

const consumers: { disconnect(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(consumers.splice(0).map((c) => c.disconnect()));
});

async function member(kafka: FakeKafka, groupId: string, eachBatch: (payload: EachBatchPayload) => Promise<void>, run: { autoCommit?: boolean; eachBatchAutoResolve?: boolean } = {}) {
  const consumer = kafka.consumer({ groupId });
  consumers.push(consumer);
  await consumer.connect();
  await consumer.subscribe({ topics: ['t'], fromBeginning: true });
  await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, ...run, eachBatch });
  return consumer;
}

describe('FakeKafka', () => {
  it('puts messages with the same key on the same partition, and an explicit partition where asked', () => {
    const kafka = new FakeKafka({ topics: { t: 4 } });
    const records = kafka.append('t', [{ key: 'a', value: '1' }, { key: 'a', value: '2' }, { key: 'b', value: '3', partition: 3 }]);
    expect(records[0]!.partition).toBe(records[1]!.partition);
    expect(records.map((r) => r.offset)).toEqual(['0', '1', records[2]!.partition === records[0]!.partition ? '2' : '0']);
    expect(records[2]!.partition).toBe(3);
    expect(kafka.endOffsets('t')[3]).toBe(records[2]!.partition === records[0]!.partition ? '3' : '1');
  });

  it('delivers again what a handler did not resolve, from the last resolved offset', async () => {
    const kafka = new FakeKafka({ topics: { t: 1 }, maxBatchSize: 4 });
    kafka.append('t', Array.from({ length: 6 }, (_, i) => ({ value: String(i) })));
    const seen: string[][] = [];
    await member(kafka, 'g', async ({ batch, resolveOffset }) => {
      seen.push(batch.messages.map((m) => m.offset));
      // Take only the first message of each batch.
      resolveOffset(batch.messages[0]!.offset);
    });
    await kafka.waitFor(() => seen.length >= 6);
    expect(seen.slice(0, 3)).toEqual([
      ['0', '1', '2', '3'],
      ['1', '2', '3', '4'],
      ['2', '3', '4', '5'],
    ]);
    expect(kafka.committed('g', 't')).toEqual({}); // autoCommit off: nothing committed by itself
  });

  it('honors pause, resume and seek; isStale is true between a seek and the next fetch', async () => {
    const kafka = new FakeKafka({ topics: { t: 1 }, maxBatchSize: 2 });
    kafka.append('t', Array.from({ length: 6 }, (_, i) => ({ value: String(i) })));
    const seen: string[] = [];
    let staleAfterSeek: boolean | undefined;
    const consumer = await member(kafka, 'g', async ({ batch, resolveOffset, isStale }) => {
      for (const m of batch.messages) {
        seen.push(m.offset);
        resolveOffset(m.offset);
      }
      if (seen.length === 4) {
        consumer.pause([{ topic: 't', partitions: [0] }]);
        consumer.seek({ topic: 't', partition: 0, offset: '1' });
        staleAfterSeek = isStale();
      }
    });
    await kafka.waitFor(() => seen.length === 4);
    await new Promise((r) => setTimeout(r, 50));
    expect(seen).toEqual(['0', '1', '2', '3']); // paused: nothing more
    expect(consumer.paused()).toEqual([{ topic: 't', partitions: [0] }]);
    consumer.resume([{ topic: 't', partitions: [0] }]);
    await kafka.waitFor(() => seen.length === 9);
    expect(seen.slice(4)).toEqual(['1', '2', '3', '4', '5']); // from the sought offset
    expect(staleAfterSeek).toBe(true);
  });

  it('pauses like kafkajs: pausing partitions ends a topic-wide pause; resuming one partition of a paused topic resumes just it', async () => {
    const kafka = new FakeKafka({ topics: { t: 3 } });
    const consumer = await member(kafka, 'g', async () => {});
    await kafka.waitFor(() => kafka.assignment('g', 't')['member-1']?.length === 3);
    const paused = () => consumer.paused()[0]?.partitions ?? [];
    consumer.pause([{ topic: 't' }]);
    expect(paused()).toEqual([0, 1, 2]);
    consumer.resume([{ topic: 't', partitions: [1] }]);
    expect(paused()).toEqual([0, 2]);
    consumer.pause([{ topic: 't', partitions: [2] }]); // a partition pause replaces the topic-wide one
    expect(paused()).toEqual([2]);
    consumer.resume([{ topic: 't' }]);
    expect(paused()).toEqual([]);
  });

  it('a killed member leaves its group at once without committing; its partitions go to the others from the last commit', async () => {
    const kafka = new FakeKafka({ topics: { t: 2 } });
    kafka.append('t', [{ value: 'a', partition: 0 }, { value: 'b', partition: 1 }]);
    const seen: string[] = [];
    const take = (who: string) => async ({ batch, resolveOffset }: EachBatchPayload) => {
      for (const m of batch.messages) {
        seen.push(`${who} ${batch.partition}/${m.offset}`);
        resolveOffset(m.offset);
      }
    };
    const doomed = await member(kafka, 'g', take('doomed'));
    await kafka.waitFor(() => seen.length === 2);
    const producer = kafka.producer();
    await producer.connect();
    kafka.kill(doomed, producer);
    expect(kafka.log.filter((e) => e.type === 'kill')).toHaveLength(2);
    await expect(doomed.commitOffsets([{ topic: 't', partition: 0, offset: '1' }])).rejects.toThrow(/killed/);
    await expect(producer.send({ topic: 't', messages: [{ value: 'x' }] })).rejects.toThrow(/killed/);
    expect(kafka.committed('g', 't')).toEqual({});
    await member(kafka, 'g', take('heir'));
    await kafka.waitFor(() => seen.length === 4);
    expect(seen.slice(2).sort()).toEqual(['heir 0/0', 'heir 1/0']);
    await producer.disconnect();
  });

  it('rebalances when a member joins: splits partitions, restarts them from the commits, and refuses commits meanwhile', async () => {
    const kafka = new FakeKafka({ topics: { t: 2 } });
    kafka.append('t', [{ value: 'a', partition: 0 }, { value: 'b', partition: 1 }]);
    const firstSaw: string[] = [];
    const first = await member(kafka, 'g', async ({ batch, resolveOffset }) => {
      for (const m of batch.messages) {
        firstSaw.push(`${batch.partition}/${m.offset}`);
        resolveOffset(m.offset);
      }
    });
    const joins: Record<string, number[]>[] = [];
    first.on('consumer.group_join', (e) => joins.push(e.payload.memberAssignment));
    await kafka.waitFor(() => firstSaw.length === 2);
    await first.commitOffsets([{ topic: 't', partition: 0, offset: '1' }]); // partition 1 left uncommitted

    const secondSaw: string[] = [];
    await member(kafka, 'g', async ({ batch, resolveOffset }) => {
      for (const m of batch.messages) {
        secondSaw.push(`${batch.partition}/${m.offset}`);
        resolveOffset(m.offset);
      }
    });
    await kafka.waitFor(() => joins.length === 1);
    expect(joins[0]).toEqual({ t: [0] });
    expect(kafka.assignment('g', 't')).toEqual({ 'member-1': [0], 'member-2': [1] });
    // Partition 1 was never committed, so its new owner reads it from the start.
    await kafka.waitFor(() => secondSaw.length === 1);
    expect(secondSaw).toEqual(['1/0']);

    kafka.rebalance('g');
    await expect(first.commitOffsets([{ topic: 't', partition: 0, offset: '1' }])).rejects.toThrow(FakeKafkaError);
    expect(kafka.log.some((e) => e.type === 'commit-failed')).toBe(true);
  });

  it('a producer told to fail throws and writes nothing; the next send goes through', async () => {
    const kafka = new FakeKafka({ topics: { out: 1 } });
    const producer = kafka.producer();
    await producer.connect();
    kafka.failSends(1);
    await expect(producer.send({ topic: 'out', messages: [{ value: 'x' }] })).rejects.toThrow(/injected/);
    expect(kafka.messages('out')).toEqual([]);
    await producer.sendBatch({ topicMessages: [{ topic: 'out', messages: [{ key: 'k', value: 'y', headers: { h: 'v' } }] }] });
    expect(kafka.messages('out').map((r) => [r.key?.toString(), r.value?.toString(), r.headers.h?.toString()])).toEqual([['k', 'y', 'v']]);
    await producer.disconnect();
    expect(kafka.openClients).toBe(0);
  });

  it('supports eachMessage with auto-commit, like kafkajs defaults', async () => {
    const kafka = new FakeKafka({ topics: { t: 1 } });
    kafka.append('t', [{ value: 'a' }, { value: 'b' }]);
    const consumer = kafka.consumer({ groupId: 'm' });
    consumers.push(consumer);
    await consumer.connect();
    await consumer.subscribe({ topic: 't', fromBeginning: true });
    const values: string[] = [];
    await consumer.run({ eachMessage: async ({ message }) => void values.push(message.value!.toString()) });
    await kafka.waitFor(() => kafka.caughtUp('m', 't'));
    expect(kafka.committed('m', 't')).toEqual({ 0: '2' });
    expect(values).toEqual(['a', 'b']);
  });

  it('a handler that throws crashes the consumer, which restarts from the commits', async () => {
    const kafka = new FakeKafka({ topics: { t: 1 } });
    kafka.append('t', [{ value: 'a' }]);
    let calls = 0;
    const consumer = await member(kafka, 'g', async ({ batch, resolveOffset }) => {
      calls++;
      if (calls === 1) {
        resolveOffset(batch.messages[0]!.offset); // resolved, not committed …
        throw new Error('boom');
      }
    });
    const crashes: unknown[] = [];
    consumer.on('consumer.crash', (e) => crashes.push(e.payload));
    await kafka.waitFor(() => calls >= 2);
    expect(crashes).toEqual([expect.objectContaining({ restart: true })]);
    // … so it is delivered again after the restart.
    expect(kafka.log.filter((e) => e.type === 'deliver').length).toBeGreaterThanOrEqual(2);
  });
});
