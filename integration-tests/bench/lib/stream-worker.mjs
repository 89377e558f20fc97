/**
 * One worker process of the scale-out scenario, written as a user would: a
 * createRedisStreamPipeline in a consumer group, its model on the simulator,
 * sharing a redisQuota (`config.quota`) or limited on its own
 * (`config.localRequestsPerMinute`). IPC with the parent: we start (connect,
 * join the group, wait for entries) and send {ready}; on {stop} we stop, send
 * {stopped, stats} and exit.
 */
import { openAIModel } from '@mlpredict/core';
import { createRedisStreamPipeline, redisQuota } from '@mlpredict/redis';

const config = JSON.parse(process.argv[2]);
const send = (message) => new Promise((resolve) => process.send(message, resolve));

try {
  const quota = config.quota ? await redisQuota({ url: config.redisUrl, ...config.quota }) : undefined;
  const model = openAIModel({
    model: 'sim',
    baseURL: config.simUrl,
    apiKey: 'bench-key',
    ...(quota ? { quota } : { requestsPerMinute: config.localRequestsPerMinute }),
  });
  const pipeline = createRedisStreamPipeline({
    url: config.redisUrl,
    inputStream: config.inputStream,
    group: config.group,
    consumer: config.consumer,
    outputStream: config.outputStream,
    model,
    options: config.options,
    claimIdleMs: config.claimIdleMs,
    maxInFlight: config.maxInFlight,
    blockMs: 100,
  });
  process.on('message', async (message) => {
    if (message.type === 'stop') {
      await pipeline.stop();
      await send({ type: 'stopped', stats: pipeline.stats() });
      await quota?.close();
      process.exit(0);
    }
  });
  await pipeline.start();
  await send({ type: 'ready' });
} catch (error) {
  await send({ type: 'error', message: String(error?.stack ?? error) });
  process.exit(1);
}
