/**
 * @mlpredict/kafka/testing — an in-process fake of the kafkajs client, to run and
 * test a pipeline without a broker.
 */
export { FakeKafka, FakeConsumer, FakeProducer, FakeKafkaError, headerText, type FakeKafkaOptions, type FakeKafkaEvent, type FakeRecord, type FakeInput } from './fake-kafka.js';
