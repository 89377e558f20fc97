/**
 * @mlpredict/kafka — consume a topic, predict every message in batches, produce
 * one result per message, and commit offsets only after the results are out.
 * Public exports only.
 */
export {
  createKafkaPredictPipeline,
  type KafkaPredictPipeline,
  type KafkaPredictPipelineOptions,
  type KafkaPipelineStats,
  type PipelineState,
} from './kafka-predict-pipeline.js';
export { decodeJsonOrString, encodeResultJson, SOURCE_HEADERS, type SourceRecord } from './message-codec.js';
export type { PipelineConsumer, PipelineProducer, PipelineKafka } from './kafka-client.js';
// The building blocks, for adapters of other clients.
export { OffsetTracker, PartitionTrack, type SendSlice } from './offset-tracker.js';
export { FlowControl, type FlowControlInit, type HoldReason } from './flow-control.js';
// The fake is also at '@mlpredict/kafka/testing'; exported here too so one import serves a demo.
export * from './testing/index.js';
