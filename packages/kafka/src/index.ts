/**
 * @mlpredict/kafka — consume a topic, predict every message in batches, produce
 * one result per message, and commit offsets only after the results are out.
 * Public exports only; the in-process fake of kafkajs is on `@mlpredict/kafka/testing`.
 */
export {
  createKafkaPredictPipeline,
  type KafkaPredictPipeline,
  type KafkaPredictPipelineOptions,
  type KafkaPipelineStats,
  type PipelineState,
} from './kafka-predict-pipeline.js';
// The pipeline's two halves on core's source contract, to run with `runSource` and another sink or source.
export { kafkaSource, type KafkaSource, type KafkaSourceOptions, type KafkaSourceMessage, type KafkaSourceStats } from './kafka-source.js';
export { kafkaSink, type KafkaSink, type KafkaSinkOptions, type KafkaSinkStats } from './kafka-sink.js';
export { decodeJsonOrString, encodeResultJson, SOURCE_HEADERS, type SourceRecord } from './message-codec.js';
export type { PipelineConsumer, PipelineProducer, PipelineKafka } from './kafka-client.js';
