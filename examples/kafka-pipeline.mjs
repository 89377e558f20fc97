#!/usr/bin/env node
// A Kafka sentiment pipeline: reviews in, one result per review out, offsets
// committed only once the results are in the output topic.
//
//   node examples/kafka-pipeline.mjs                          # no broker: the in-process FakeKafka + the simulator
//   KAFKA_BROKERS=localhost:9092 node examples/kafka-pipeline.mjs
//                                                             # a real broker (topics get a unique suffix);
//                                                             # the model is OPENAI_API_KEY / OPENAI_BASE_URL if set, else the simulator
// Run `pnpm build` first. EXAMPLE_LIMIT caps the reviews (default 40).
import { readFileSync } from 'node:fs';
import { openAIModel } from '@mlpredict/core';
import { createKafkaPredictPipeline, SOURCE_HEADERS } from '@mlpredict/kafka';
import { FakeKafka } from '@mlpredict/kafka/testing';
import { startSimulator } from '@mlpredict/testing';

const limit = Number(process.env.EXAMPLE_LIMIT ?? 40);
const reviews = readFileSync(new URL('./data/reviews.jsonl', import.meta.url), 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((line) => JSON.parse(line))
  .slice(0, limit);

const brokers = process.env.KAFKA_BROKERS?.split(',').filter(Boolean);
const realModel = Boolean(process.env.OPENAI_API_KEY || process.env.OPENAI_BASE_URL);
const sim = realModel ? undefined : await startSimulator({ latencyMs: [20, 60] });
const model = openAIModel({
  model: process.env.OPENAI_MODEL ?? (sim ? 'mlpredict-sim' : 'gpt-4o-mini'),
  baseURL: sim?.url ?? process.env.OPENAI_BASE_URL,
  apiKey: sim ? 'example' : process.env.OPENAI_API_KEY,
});

const suffix = brokers ? `-${Date.now()}` : '';
const topics = { input: `reviews${suffix}`, output: `reviews-sentiment${suffix}`, failed: `reviews-failed${suffix}` };
const predictOptions = {
  textField: 'text',
  instruction: 'Classify the sentiment of each product review as positive, negative or neutral.',
  valueField: 'sentiment',
  batchSize: 10,
  batchTimeoutMs: 50,
  concurrency: 4,
};

try {
  if (brokers) await runOnBroker(brokers);
  else await runOnFake();
} finally {
  await sim?.close();
}

/** The same pipeline against FakeKafka: no broker needed, and we can look inside. */
async function runOnFake() {
  console.log(`No KAFKA_BROKERS: running on the in-process FakeKafka, the model is ${sim ? 'the bundled simulator' : model.name}.\n`);
  const kafka = new FakeKafka({ topics: { [topics.input]: 3, [topics.output]: 3, [topics.failed]: 1 } });
  kafka.append(topics.input, reviews.map((r) => ({ key: String(r.id), value: JSON.stringify(r) })));
  // Show that a failed produce loses nothing: the same results are produced again, and no offset is committed before them.
  kafka.failSends(1);

  const pipeline = createKafkaPredictPipeline({
    kafka,
    groupId: 'sentiment',
    inputTopic: topics.input,
    outputTopic: topics.output,
    deadLetterTopic: topics.failed,
    fromBeginning: true,
    model,
    options: predictOptions,
    retryDelayMs: 50,
  });
  await pipeline.start();
  // Done when every review's result is out and its offset committed.
  await kafka.waitFor(() => kafka.caughtUp('sentiment', topics.input), 120_000);
  await pipeline.stop();

  for (const record of [...kafka.messages(topics.output), ...kafka.messages(topics.failed)]) {
    const from = `${record.headers[SOURCE_HEADERS.partition]}@${record.headers[SOURCE_HEADERS.offset]}`;
    const body = JSON.parse(record.value.toString());
    const outcome = body.error ? `ERROR ${body.error.code}: ${body.error.message}` : body.value;
    console.log(`${record.topic.padEnd(18)} key=${String(record.key).padEnd(4)} from ${topics.input} ${from.padEnd(6)} → ${outcome}`);
  }
  report(pipeline.stats);
  console.log(`committed: ${JSON.stringify(kafka.committed('sentiment', topics.input))} (end offsets ${JSON.stringify(kafka.endOffsets(topics.input))})`);
}

/** A real broker: create the topics, write the reviews, run the pipeline until every result is out. */
async function runOnBroker(brokers) {
  const { Kafka, logLevel } = await import('kafkajs');
  const kafka = new Kafka({ clientId: 'mlpredict-example', brokers, logLevel: logLevel.WARN });
  console.log(`Broker ${brokers.join(',')}: topics ${Object.values(topics).join(', ')}\n`);

  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: Object.values(topics).map((topic) => ({ topic, numPartitions: 3 })), waitForLeaders: true });
  await admin.disconnect();

  const writer = kafka.producer();
  await writer.connect();
  await writer.send({ topic: topics.input, messages: reviews.map((r) => ({ key: String(r.id), value: JSON.stringify(r) })) });
  await writer.disconnect();

  const pipeline = createKafkaPredictPipeline({
    kafka,
    groupId: `sentiment${suffix}`,
    inputTopic: topics.input,
    outputTopic: topics.output,
    deadLetterTopic: topics.failed,
    fromBeginning: true,
    model,
    options: predictOptions,
    handleSignals: true,
  });
  await pipeline.start();
  const deadline = Date.now() + 120_000;
  while (pipeline.stats.produced < reviews.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  await pipeline.stop();
  report(pipeline.stats);
}

function report(stats) {
  console.log(
    `\n${stats.consumed} consumed, ${stats.produced} produced (${stats.deadLettered} dead-lettered), ` +
      `${stats.produceFailures} failed produce(s) recovered, ${stats.commits} commits, peak ${stats.peakInFlight}/${stats.maxInFlight} in flight`,
  );
}
