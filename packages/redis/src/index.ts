/**
 * @mlpredict/redis — scale mlpredict out on Redis: one provider quota shared by
 * every worker, and a consumer-group pipeline on Redis Streams (with the source
 * and sink it is built from). Public exports only.
 */
export { redisQuota, type RedisQuota, type RedisQuotaOptions, type RedisQuotaStats } from './quota/redis-quota.js';
export { RedisUnavailableError, isRedisUnavailable } from './redis-unavailable.js';
export {
  redisStreamSource,
  type RedisStreamSource,
  type RedisStreamSourceOptions,
  type RedisStreamSourceStats,
  type RedisStreamMessage,
} from './streams/redis-stream-source.js';
export {
  createRedisStreamPipeline,
  type RedisStreamPipeline,
  type RedisStreamPipelineOptions,
  type RedisStreamPipelineStats,
  type RedisStreamPipelineState,
} from './streams/redis-stream-pipeline.js';
export { redisStreamSink, type RedisStreamSink, type RedisStreamSinkOptions } from './streams/redis-stream-sink.js';
export { INPUT_ID_FIELD, RESULT_FIELD, type StreamResult } from './streams/result-entry.js';
export { RECORD_FIELD } from './streams/decode-entry.js';
