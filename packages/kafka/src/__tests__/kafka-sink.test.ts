/**
 * The Kafka sink alone: one message per result, routed, keyed and headed; a
 * failed send writes nothing; results of revoked partitions are not produced.
 */
import type { SourceResult } from '@mlpredict/core';
import type { PipelineProducer } from '../kafka-client.js';
import { kafkaSink, type KafkaSink } from '../kafka-sink.js';
import type { KafkaSourceMessage } from '../kafka-source.js';
import { SOURCE_HEADERS } from '../message-codec.js';
import { FakeKafka, headerText } from '../testing/index.js';

const sinks: KafkaSink[] = [];
afterEach(async () => {
  await Promise.all(sinks.splice(0).map((s) => s.close()));
});

async function open(kafka: FakeKafka, options: { deadLetterTopic?: string; encode?: (result: SourceResult, origin: { offset: string }) => string } = {}) {
  const sink = await kafkaSink({ producer: kafka.producer(), topic: 'out', ...options });
  sinks.push(sink);
  return sink;
}

/** A message as kafkaSource makes them; `current` can be switched off as a revocation does. */
function messageAt(partition: number, offset: number, record: unknown, state = { current: true }): KafkaSourceMessage {
  return {
    key: `in/${partition}/${offset}`,
    partition: `in/${partition}`,
    record,
    origin: { topic: 'in', partition, offset: String(offset), key: Buffer.from(`k${offset}`) },
    get current() {
      return state.current;
    },
    ack: () => undefined,
  };
}

const meta = { batchId: 0, attempts: 1, via: 'batch' as const, repairs: 0, latencyMs: 1 };
const ok = (message: KafkaSourceMessage, value: unknown): SourceResult => ({ ok: true, input: message.record, seq: 0, key: message, value, meta });
const failed = (message: KafkaSourceMessage): SourceResult => ({ ok: false, input: message.record, seq: 0, key: message, error: { code: 'missing', message: 'left out', attempts: 3 }, meta });
const entry = (result: SourceResult) => ({ message: result.key, result });

describe('kafkaSink on FakeKafka', () => {
  it('produces one message per result, in order, keyed like its input, with the source headers; errors to the dead-letter topic', async () => {
    const kafka = new FakeKafka({ topics: { out: 1, dead: 1 } });
    const sink = await open(kafka, { deadLetterTopic: 'dead' });
    const [a, b, c] = [messageAt(0, 7, { text: 'Great' }), messageAt(0, 8, { text: '??' }), messageAt(1, 3, { text: 'Awful' })];
    await sink.write([entry(ok(a, 'positive')), entry(failed(b)), entry(ok(c, 'negative'))]);

    const out = kafka.messages('out');
    expect(out.map((r) => [r.key?.toString(), JSON.parse(r.value!.toString())])).toEqual([
      ['k7', { input: { text: 'Great' }, value: 'positive' }],
      ['k3', { input: { text: 'Awful' }, value: 'negative' }],
    ]);
    expect(out.map((r) => [headerText(r, SOURCE_HEADERS.topic), headerText(r, SOURCE_HEADERS.partition), headerText(r, SOURCE_HEADERS.offset)])).toEqual([
      ['in', '0', '7'],
      ['in', '1', '3'],
    ]);
    const [dead] = kafka.messages('dead');
    expect(JSON.parse(dead!.value!.toString())).toEqual({ input: { text: '??' }, error: { code: 'missing', message: 'left out', attempts: 3 } });
    expect(headerText(dead!, SOURCE_HEADERS.errorCode)).toBe('missing');
    expect(kafka.log.filter((e) => e.type === 'send')).toHaveLength(1); // one sendBatch per write
    expect(sink.stats()).toEqual({ produced: 3, deadLettered: 1, errors: 1, produceFailures: 0, skipped: 0 });
  });

  it('does not produce the result of a message whose partition was revoked meanwhile', async () => {
    const kafka = new FakeKafka({ topics: { out: 1 } });
    const sink = await open(kafka);
    const revoked = { current: true };
    const [a, b] = [messageAt(0, 1, 'x', revoked), messageAt(1, 1, 'y')];
    revoked.current = false;
    await sink.write([entry(ok(a, 'p')), entry(ok(b, 'q'))]);
    expect(kafka.messages('out').map((r) => r.key?.toString())).toEqual(['k1']);
    expect(headerText(kafka.messages('out')[0]!, SOURCE_HEADERS.partition)).toBe('1');
    expect(sink.stats()).toMatchObject({ produced: 1, skipped: 1 });
  });

  it('an encode that throws turns the result into a bad_input error, dead-lettered like one', async () => {
    const kafka = new FakeKafka({ topics: { out: 1, dead: 1 } });
    const sink = await open(kafka, {
      deadLetterTopic: 'dead',
      encode: (result, origin) => {
        if (origin.offset === '2') throw new Error('no room for that');
        return `${origin.offset}:${String(result.value)}`;
      },
    });
    await sink.write([entry(ok(messageAt(0, 1, 'a'), 'p')), entry(ok(messageAt(0, 2, 'b'), 'q'))]);
    expect(kafka.messages('out').map((r) => r.value!.toString())).toEqual(['1:p']);
    const [dead] = kafka.messages('dead');
    expect(JSON.parse(dead!.value!.toString())).toEqual({ input: 'b', error: { code: 'bad_input', message: 'encode failed: no room for that', attempts: 1 } });
    expect(headerText(dead!, SOURCE_HEADERS.errorCode)).toBe('bad_input');
    expect(sink.stats()).toMatchObject({ produced: 2, deadLettered: 1, errors: 1 });
  });

  it('a failed send throws and writes none of the batch; the same write then goes through', async () => {
    const kafka = new FakeKafka({ topics: { out: 1 } });
    const sink = await open(kafka);
    const entries = [entry(ok(messageAt(0, 1, 'a'), 'p')), entry(ok(messageAt(0, 2, 'b'), 'q'))];
    kafka.failSends(1);
    await expect(sink.write(entries)).rejects.toThrow(/injected produce failure/);
    expect(kafka.messages('out')).toEqual([]);
    expect(sink.stats()).toMatchObject({ produced: 0, produceFailures: 1 });
    await sink.write(entries);
    expect(kafka.messages('out').map((r) => r.value!.toString())).toEqual(['{"input":"a","value":"p"}', '{"input":"b","value":"q"}']);
    expect(sink.stats()).toMatchObject({ produced: 2, produceFailures: 1 });
  });

  it('refuses a message that did not come from kafkaSource, and bad options', async () => {
    const kafka = new FakeKafka({ topics: { out: 1 } });
    const sink = await open(kafka);
    const foreign = { key: 'm1', record: 'x', ack: () => undefined };
    const result = { ...ok(messageAt(0, 1, 'x'), 'p'), key: foreign };
    await expect(sink.write([{ message: foreign, result }])).rejects.toThrow(/message m1 did not come from kafkaSource/);
    await expect(kafkaSink({ producer: kafka.producer(), topic: '' })).rejects.toThrow(/kafkaSink: topic/);
    await expect(kafkaSink({ producer: kafka.producer(), topic: 'out', acks: 2 })).rejects.toThrow(/acks: expected -1, 0 or 1, got 2/);
    await expect(kafkaSink({ producer: {} as PipelineProducer, topic: 'out' })).rejects.toThrow(/producer: expected a kafkajs producer/);
  });
});
