/**
 * @mlpredict/redis — scale mlpredict out on Redis: one provider quota shared by
 * every worker, and a Redis Streams source and sink for consumer-group
 * pipelines. Public exports only.
 */
export { redisQuota, type RedisQuota, type RedisQuotaOptions, type RedisQuotaStats } from './quota/redis-quota.js';
export { RedisUnavailableError, isRedisUnavailable } from './redis-unavailable.js';
