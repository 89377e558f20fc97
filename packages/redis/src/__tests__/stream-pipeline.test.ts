/**
 * createRedisStreamPipeline end to end: a real redis-server, the model over
 * HTTP against the simulator. One output entry per input entry with the
 * simulator's label; malformed entries answered `bad_input` in their place;
 * nothing acked while the output can't be written; an output written and
 * never acked is written again by another worker (dedupe by input_id); stop() drains and a
 * restarted consumer finishes the rest with no duplicate; a fatal model error
 * acks nothing; bad options and an unreachable Redis fail up front.
 */
import { createClient } from '@redis/client';
import { openAIModel } from '@mlpredict/core';
import { sentimentOf, startSimulator, type Simulator } from '@mlpredict/testing';
import { createRedisStreamPipeline, RedisUnavailableError, type RedisStreamPipeline, type RedisStreamPipelineOptions } from '../index';
import { startRedis, type TestRedis } from './redis-server';
import { addRecords, byInputId, groupState, pendingByConsumer, readOutput, reviews, waitFor, waitUntilDrained } from './stream-fixtures';

let redis: TestRedis;
let admin: ReturnType<typeof createClient>;
let sim: Simulator;
const started: RedisStreamPipeline[] = [];

beforeAll(async () => {
  redis = await startRedis();
  admin = createClient({ url: redis.url });
  await admin.connect();
  sim = await startSimulator({ latencyMs: [5, 15], seed: 4 });
});
beforeEach(() => {
  sim.configure({ latencyMs: [5, 15], apiKey: undefined });
  sim.resetStats();
});
afterEach(async () => {
  await Promise.all(started.splice(0).map((p) => p.stop().catch(() => undefined)));
});
afterAll(async () => {
  await sim?.close();
  admin?.destroy();
  await redis?.stop();
});

const predictOptions = { batchSize: 10, batchTimeoutMs: 5, concurrency: 2, valueField: 'sentiment' };

function pipeline(options: Partial<RedisStreamPipelineOptions> & Pick<RedisStreamPipelineOptions, 'inputStream' | 'outputStream'>): RedisStreamPipeline {
  const p = createRedisStreamPipeline({
    url: redis.url,
    group: 'g',
    consumer: 'c1',
    model: openAIModel({ model: 'sim', baseURL: sim.url, apiKey: 'test-key' }),
    options: predictOptions,
    blockMs: 50,
    retryDelayMs: 20,
    onWarning: () => undefined,
    ...options,
  });
  started.push(p);
  return p;
}

test('every input entry gets one output entry with its value; malformed entries get bad_input in their place, to the dead-letter stream', async () => {
  const texts = reviews(150);
  const goodIds = await addRecords(admin, 'e2e', texts.slice(0, 100));
  const missing = await admin.xAdd('e2e', '*', { text: 'no record field' });
  const broken = await admin.xAdd('e2e', '*', { record: '{"text": ' });
  const moreIds = await addRecords(admin, 'e2e', texts.slice(100));
  const p = pipeline({ inputStream: 'e2e', outputStream: 'e2e-out', deadLetterStream: 'e2e-failed' });
  await p.start();
  await waitUntilDrained(admin, 'e2e', 'g', moreIds[moreIds.length - 1]!);

  const output = await readOutput(admin, 'e2e-out');
  const ids = [...goodIds, ...moreIds];
  expect(output.map((e) => e.inputId)).toEqual(ids); // one each, in read order
  output.forEach((entry, i) => expect(entry.result).toEqual({ value: sentimentOf(texts[i]!) }));

  const failed = await readOutput(admin, 'e2e-failed');
  expect(failed.map((e) => e.inputId)).toEqual([missing, broken]);
  expect(failed[0]!.result).toEqual({ error: { code: 'bad_input', message: `entry ${missing} has no "record" field (it has "text"); put the record as JSON in "record"` } });
  expect(failed[1]!.result.error).toMatchObject({ code: 'bad_input', message: expect.stringMatching(new RegExp(`^entry ${broken}: field "record" is not JSON \\(`)) });
  expect(failed[1]!.fields.record).toBe('{"text": '); // copied, so it can be fixed and replayed
  // The model saw only the 150 good records.
  expect(sim.stats.recordsSeen).toBe(150);

  expect(p.stats()).toMatchObject({ state: 'running', read: 152, written: 152, acked: 152, errors: 2, unreadable: 2, claimed: 0, inFlight: 0 });
  await p.stop();
  expect(p.stats().state).toBe('stopped');
  await expect(p.done).resolves.toBeUndefined();
});

test('nothing is acked while the output cannot be written; the write is retried and then everything is acked', async () => {
  const ids = await addRecords(admin, 'blocked', reviews(30));
  await admin.set('blocked-out', 'not a stream'); // XADD fails with WRONGTYPE
  const writeErrors: unknown[] = [];
  const p = pipeline({ inputStream: 'blocked', outputStream: 'blocked-out', onWriteError: (e) => writeErrors.push(e) });
  await p.start();
  try {
    await waitFor(() => p.stats().writeFailures >= 3, 10_000, 'three failed writes');
    expect(p.stats().acked).toBe(0);
    expect((await groupState(admin, 'blocked', 'g')).pending).toBe(30);
    expect(String(writeErrors[0])).toMatch(/Redis refused 10 of 10 output entries: WRONGTYPE/);
  } finally {
    await admin.del('blocked-out'); // else stop() would wait for a write that can never succeed
  }
  await waitUntilDrained(admin, 'blocked', 'g', ids[ids.length - 1]!);
  const output = await readOutput(admin, 'blocked-out');
  expect(output.map((e) => e.inputId)).toEqual(ids); // a failed MULTI wrote nothing: no partial duplicates
  expect(p.stats()).toMatchObject({ written: 30, acked: 30 });
});

test('stop() drains: what was in flight is written and acked; a restarted consumer finishes the rest, with no duplicate', async () => {
  sim.configure({ latencyMs: 40 });
  const texts = reviews(200);
  const ids = await addRecords(admin, 'drain', texts);
  const first = pipeline({ inputStream: 'drain', outputStream: 'drain-out' });
  await first.start();
  await waitFor(() => first.stats().acked >= 40, 20_000, '40 acks');
  await first.stop();
  const stopped = first.stats();
  expect(stopped).toMatchObject({ state: 'stopped', inFlight: 0, nacked: 0 });
  expect(stopped.acked).toBe(stopped.read); // everything handed to the runner was answered
  expect(stopped.acked).toBeLessThan(200);
  const outputAfterStop = await readOutput(admin, 'drain-out');
  expect(outputAfterStop.map((e) => e.inputId)).toEqual(ids.slice(0, stopped.acked));
  // What the source had read ahead and not handed out stays pending on c1, for c1's restart.
  expect((await groupState(admin, 'drain', 'g')).pending).toBe(Object.values(await pendingByConsumer(admin, 'drain', 'g')).reduce((a, b) => a + b, 0));

  sim.configure({ latencyMs: 5 });
  const second = pipeline({ inputStream: 'drain', outputStream: 'drain-out' });
  await second.start();
  await waitUntilDrained(admin, 'drain', 'g', ids[ids.length - 1]!);
  const grouped = byInputId(await readOutput(admin, 'drain-out'));
  expect([...grouped.keys()].sort()).toEqual([...ids].sort());
  expect([...grouped.values()].every((entries) => entries.length === 1)).toBe(true);
  ids.forEach((id, i) => expect(grouped.get(id)![0]!.result).toEqual({ value: sentimentOf(texts[i]!) }));
});

test('an output written but never acked (the worker died in between) is written again by another worker; dedupe by input_id keeps one', async () => {
  // A Redis user that may do everything but XACK: the worker's writes land, its acks never do.
  await admin.sendCommand(['ACL', 'SETUSER', 'noack', 'on', '>secret', '~*', '&*', '+@all', '-xack']);
  const texts = reviews(40);
  const ids = await addRecords(admin, 'dupes', texts);
  const ackErrors: unknown[] = [];
  const dying = pipeline({ inputStream: 'dupes', outputStream: 'dupes-out', consumer: 'dying', url: redis.url.replace('redis://', 'redis://noack:secret@'), onWriteError: (e) => ackErrors.push(e) });
  await dying.start();
  await waitFor(async () => (await readOutput(admin, 'dupes-out')).length === 40, 20_000, '40 outputs from the worker that cannot ack');
  expect(dying.stats().acked).toBe(0);
  expect(String(ackErrors[0])).toMatch(/NOPERM/);
  expect(await pendingByConsumer(admin, 'dupes', 'g')).toEqual({ dying: 40 });

  const rescuer = pipeline({ inputStream: 'dupes', outputStream: 'dupes-out', consumer: 'rescuer', claimIdleMs: 200 });
  await rescuer.start();
  await waitUntilDrained(admin, 'dupes', 'g', ids[ids.length - 1]!);
  expect(rescuer.stats()).toMatchObject({ claimed: 40, acked: 40 });

  const output = await readOutput(admin, 'dupes-out');
  expect(output).toHaveLength(80); // every input twice: at-least-once
  const grouped = byInputId(output);
  expect([...grouped.keys()]).toEqual(ids); // first outputs, in input order
  ids.forEach((id, i) => {
    const [first, again] = grouped.get(id)!;
    expect(first!.result).toEqual({ value: sentimentOf(texts[i]!) });
    expect(again!.result).toEqual(first!.result); // a re-run of the same input: the same answer
  });
});

test('a fatal model error (a wrong API key) stops the worker and acks nothing; a fixed worker answers every entry', async () => {
  sim.configure({ apiKey: 'right-key' });
  const texts = reviews(25);
  const ids = await addRecords(admin, 'fatal', texts);
  const wrong = pipeline({ inputStream: 'fatal', outputStream: 'fatal-out', model: openAIModel({ model: 'sim', baseURL: sim.url, apiKey: 'wrong-key' }) });
  await wrong.start();
  await expect(wrong.done).rejects.toThrow(/stopped/);
  expect(wrong.stats()).toMatchObject({ state: 'failed', acked: 0, written: 0 });
  expect(await readOutput(admin, 'fatal-out').catch(() => [])).toEqual([]);
  expect((await groupState(admin, 'fatal', 'g')).pending).toBeGreaterThan(0);

  const fixed = pipeline({ inputStream: 'fatal', outputStream: 'fatal-out', model: openAIModel({ model: 'sim', baseURL: sim.url, apiKey: 'right-key' }) });
  await fixed.start();
  await waitUntilDrained(admin, 'fatal', 'g', ids[ids.length - 1]!);
  const output = await readOutput(admin, 'fatal-out');
  expect(output.map((e) => e.inputId)).toEqual(ids);
  output.forEach((entry, i) => expect(entry.result).toEqual({ value: sentimentOf(texts[i]!) }));
});

describe('up front', () => {
  const base = (): RedisStreamPipelineOptions => ({
    url: redis.url,
    inputStream: 'in',
    group: 'g',
    consumer: 'c',
    outputStream: 'out',
    model: openAIModel({ model: 'sim', baseURL: sim.url, apiKey: 'k' }),
  });

  test.each([
    [{ url: 'localhost:6379' }, /^url must be a Redis URL/],
    [{ inputStream: '' }, /^inputStream must be a non-empty string/],
    [{ outputStream: 'in' }, /^outputStream must differ from inputStream/],
    [{ deadLetterStream: 'in' }, /^deadLetterStream must differ from inputStream/],
    [{ deadLetterStream: 'out' }, /^deadLetterStream must differ from outputStream/],
    [{ model: undefined }, /option "model" is required/],
    [{ claimIdleMs: 0 }, /^claimIdleMs must be a positive integer of at least 10/],
    [{ maxInFlight: 2.5 }, /^maxInFlight must be a positive integer/],
    [{ options: { batchSize: -1 } }, /createRedisStreamPipeline.*batchSize/s],
    [{ options: { batchSzie: 10 } as never }, /batchSzie/],
  ])('%j fails at construction with a TypeError naming the option', (bad, message) => {
    expect(() => createRedisStreamPipeline({ ...base(), ...(bad as Partial<RedisStreamPipelineOptions>) })).toThrow(TypeError);
    expect(() => createRedisStreamPipeline({ ...base(), ...(bad as Partial<RedisStreamPipelineOptions>) })).toThrow(message);
  });

  test('an unreachable Redis fails start() (and done) with RedisUnavailableError; nothing keeps running', async () => {
    const p = createRedisStreamPipeline({ ...base(), url: 'redis://127.0.0.1:1' });
    await expect(p.start()).rejects.toBeInstanceOf(RedisUnavailableError);
    await expect(p.done).rejects.toBeInstanceOf(RedisUnavailableError);
    expect(p.stats().state).toBe('failed');
  });

  test('stop() before start() ends it; start() then refuses', async () => {
    const p = createRedisStreamPipeline(base());
    await p.stop();
    await expect(p.done).resolves.toBeUndefined();
    await expect(p.start()).rejects.toThrow(/stop\(\) was called before start\(\)/);
  });
});

test('a Redis that stops answering (connections open, no replies): stop() still ends past shutdownTimeoutMs, and nothing is lost', async () => {
  sim.configure({ latencyMs: 40 });
  const texts = reviews(200);
  const ids = await addRecords(admin, 'frozen', texts);
  const first = pipeline({ inputStream: 'frozen', outputStream: 'frozen-out', shutdownTimeoutMs: 300, commandTimeoutMs: 300 });
  await first.start();
  await waitFor(() => first.stats().acked >= 20, 20_000, '20 acks');
  redis.freeze();
  let outcome: string;
  try {
    const stopping = first.stop().then(
      () => 'stopped',
      (error: unknown) => `failed: ${String(error)}`,
    );
    let timer: NodeJS.Timeout | undefined;
    outcome = await Promise.race([stopping, new Promise<string>((resolve) => (timer = setTimeout(() => resolve('still stopping after 8 s'), 8_000)))]);
    clearTimeout(timer);
  } finally {
    redis.thaw();
  }
  expect(outcome).toBe('stopped');
  // What the frozen worker had not acked is taken over by the next one.
  const second = pipeline({ inputStream: 'frozen', outputStream: 'frozen-out', consumer: 'c2', claimIdleMs: 100 });
  await second.start();
  await waitUntilDrained(admin, 'frozen', 'g', ids[ids.length - 1]!);
  const grouped = byInputId(await readOutput(admin, 'frozen-out'));
  expect([...grouped.keys()].sort()).toEqual([...ids].sort());
  ids.forEach((id, i) => expect(grouped.get(id)!.every((entry) => JSON.stringify(entry.result) === JSON.stringify({ value: sentimentOf(texts[i]!) }))).toBe(true));
});

test('reads that timed out while Redis was frozen strand nothing: every entry is output and acked long before claimIdleMs, once each', async () => {
  const p = pipeline({ inputStream: 'thawed', outputStream: 'thawed-out', claimIdleMs: 60_000, commandTimeoutMs: 300, readCount: 10 });
  await p.start();
  await admin.xAdd('thawed', '*', { record: JSON.stringify('Review warm-up: great.') });
  await waitFor(() => p.stats().acked >= 1, 10_000, 'the warm-up entry');
  // The reader is blocked on an empty stream; frozen, its reads time out one after another.
  redis.freeze();
  try {
    await new Promise((resolve) => setTimeout(resolve, 2_000));
  } finally {
    redis.thaw();
  }
  const texts = reviews(100);
  const ids = await addRecords(admin, 'thawed', texts);
  // Well under claimIdleMs (60 s): entries a timed-out read delivered must not wait for XAUTOCLAIM.
  await waitUntilDrained(admin, 'thawed', 'g', ids[ids.length - 1]!, 20_000);
  const grouped = byInputId(await readOutput(admin, 'thawed-out'));
  expect(grouped.size).toBe(ids.length + 1); // and the warm-up entry
  ids.forEach((id, i) => {
    expect(grouped.get(id)?.map((entry) => entry.result)).toEqual([{ value: sentimentOf(texts[i]!) }]);
  });
}, 40_000);
