/**
 * @mlpredict/redis — scale mlpredict out on Redis: one provider quota shared by
 * every worker, and a Redis Streams source and sink for consumer-group
 * pipelines. Public exports only.
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
export { redisStreamSink, type RedisStreamSink, type RedisStreamSinkOptions } from './streams/redis-stream-sink.js';
export { INPUT_ID_FIELD, RESULT_FIELD, type StreamResult } from './streams/result-entry.js';
export { RECORD_FIELD } from './streams/decode-entry.js';
export { unreadableRecord, unreadableReason } from './streams/unreadable-record.js';
