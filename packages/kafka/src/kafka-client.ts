/**
 * The slice of kafkajs the pipeline uses, named so that a real kafkajs client and
 * the in-process fake (`FakeKafka`) both fit. Everything here is a type; the
 * pipeline never loads kafkajs itself, the caller hands it a client.
 */
import type { Consumer, ConsumerConfig, Kafka, Producer, ProducerConfig } from 'kafkajs';

/** What the pipeline calls on a consumer: a subset of kafkajs's `Consumer`. */
export type PipelineConsumer = Pick<
  Consumer,
  'connect' | 'disconnect' | 'subscribe' | 'run' | 'commitOffsets' | 'seek' | 'pause' | 'resume' | 'paused'
> & {
  /** kafkajs's instrumentation events; the pipeline listens to group joins and crashes. */
  on(eventName: string, listener: (event: { type: string; payload: any }) => void): () => void;
};

/** What the pipeline calls on a producer: a subset of kafkajs's `Producer`. */
export type PipelineProducer = Pick<Producer, 'connect' | 'disconnect' | 'sendBatch'>;

/** A client that makes consumers and producers, like kafkajs's `Kafka`. */
export interface PipelineKafka {
  consumer(config: ConsumerConfig): PipelineConsumer;
  producer(config?: ProducerConfig): PipelineProducer;
}

// Compile-time proof that a real kafkajs client fits these types: the build fails if it stops fitting.
type Fits<T extends true> = T;
type KafkajsFits = Fits<Kafka extends PipelineKafka ? (Consumer extends PipelineConsumer ? (Producer extends PipelineProducer ? true : false) : false) : false>;
