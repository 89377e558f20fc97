/**
 * The pipeline against a real Kafka broker.
 *
 * Skipped unless KAFKA_BROKERS is set (e.g. `KAFKA_BROKERS=localhost:9092`): no
 * broker runs in CI or on the development machines, so the pipeline's logic is
 * tested against the in-process FakeKafka (pipeline.test.ts) and this suite is
 * the check that kafkajs itself behaves as the fake assumes.
 */
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { ruleModel, sentimentOf } from '@mlpredict/testing';
import { createKafkaPredictPipeline, SOURCE_HEADERS, type KafkaPredictPipeline } from '../index.js';

const brokers = process.env.KAFKA_BROKERS?.split(',').filter(Boolean) ?? [];

// Skipped without a broker: KAFKA_BROKERS is not set.
(process.env.KAFKA_BROKERS ? describe : describe.skip)('live Kafka (runs only when KAFKA_BROKERS is set)', () => {
  const kafka = new Kafka({ clientId: 'mlpredict-live-test', brokers, logLevel: logLevel.WARN });
  const run = `${Date.now()}`;
  const topics = { input: `mlpredict-live-in-${run}`, output: `mlpredict-live-out-${run}` };
  const groupId = `mlpredict-live-${run}`;
  const count = 30;
  let admin: Admin;
  const pipelines: KafkaPredictPipeline[] = [];

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [topics.input, topics.output].map((topic) => ({ topic, numPartitions: 3 })), waitForLeaders: true });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: topics.input,
      messages: Array.from({ length: count }, (_, i) => ({ key: `k${i}`, value: JSON.stringify({ id: i, text: i % 2 ? 'Great, works well' : 'Terrible, it broke' }) })),
    });
    await producer.disconnect();
  });

  afterAll(async () => {
    await Promise.all(pipelines.map((p) => p.stop()));
    await admin.deleteTopics({ topics: [topics.input, topics.output] }).catch(() => {});
    await admin.disconnect();
  });

  async function committedEqualsEnd(): Promise<boolean> {
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topics.input] });
    const ends = await admin.fetchTopicOffsets(topics.input);
    return ends.every((end) => committed!.partitions.find((p) => p.partition === end.partition)?.offset === end.high);
  }

  it('produces one result per message, keyed like it, and commits every partition to its end', async () => {
    const pipeline = createKafkaPredictPipeline({
      kafka,
      groupId,
      inputTopic: topics.input,
      outputTopic: topics.output,
      fromBeginning: true,
      model: ruleModel(sentimentOf),
      options: { textField: 'text', valueField: 'sentiment', batchSize: 5, batchTimeoutMs: 20 },
    });
    pipelines.push(pipeline);
    await pipeline.start();
    const deadline = Date.now() + 60_000;
    while (!(pipeline.stats.produced >= count && (await committedEqualsEnd()))) {
      if (Date.now() > deadline) throw new Error(`timed out: ${JSON.stringify(pipeline.stats)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    await pipeline.stop();

    // Read the results back.
    const reader = kafka.consumer({ groupId: `${groupId}-reader` });
    await reader.connect();
    await reader.subscribe({ topics: [topics.output], fromBeginning: true });
    const seen = new Map<string, { key: string; value: unknown }>();
    await reader.run({
      eachMessage: async ({ message }) => {
        const source = `${message.headers?.[SOURCE_HEADERS.partition]}/${message.headers?.[SOURCE_HEADERS.offset]}`;
        seen.set(source, { key: String(message.key), value: JSON.parse(String(message.value)).value });
      },
    });
    const readDeadline = Date.now() + 30_000;
    while (seen.size < count && Date.now() < readDeadline) await new Promise((r) => setTimeout(r, 200));
    await reader.disconnect();
    expect(seen.size).toBe(count);
    for (const { key, value } of seen.values()) {
      const id = Number(key.slice(1));
      expect(value).toBe(sentimentOf(id % 2 ? 'Great, works well' : 'Terrible, it broke'));
    }
  });
});
