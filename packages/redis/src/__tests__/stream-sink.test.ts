/**
 * The Redis Streams sink against a real redis-server: one output entry per
 * input with `input_id` and `result`, errors to the dead-letter stream with the
 * input's record, a write that rejects (so the runner acks none of it) and
 * what Redis keeps of a MULTI it refused in part.
 */
import { createClient } from '@redis/client';
import type { SourceMessage } from '@mlpredict/core';
import { isRedisUnavailable, redisStreamSink, RedisUnavailableError, type RedisStreamSink } from '../index';
import { startRedis, type TestRedis } from './redis-server';

let redis: TestRedis;
let admin: ReturnType<typeof createClient>;
const opened: RedisStreamSink[] = [];

beforeAll(async () => {
  redis = await startRedis();
  admin = createClient({ url: redis.url });
  admin.on('error', () => undefined); // the last test stops the server under it
  await admin.connect();
});
afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
});
afterAll(async () => {
  admin?.destroy();
  await redis?.stop();
});

async function sink(options: { outputStream: string; deadLetterStream?: string; maxLen?: number }): Promise<RedisStreamSink> {
  const s = await redisStreamSink({ url: redis.url, ...options });
  opened.push(s);
  return s;
}

/** A message as the Redis source makes them: the entry id as key, the entry's fields. */
function message(id: string, record: unknown): SourceMessage & { fields: Record<string, string> } {
  return { key: id, record, fields: { record: JSON.stringify(record) }, ack: () => undefined };
}

async function entries(stream: string): Promise<Array<Record<string, string>>> {
  return (await admin.xRange(stream, '-', '+')).map((e) => ({ ...e.message }));
}

test('one output entry per input, in order: input_id and result as {"value": …} or {"error": {code, message}}', async () => {
  const s = await sink({ outputStream: 'out' });
  await s.write([
    { message: message('1-0', { text: 'great' }), result: { value: 'positive' } },
    { message: message('1-1', { text: 'meh' }), result: { value: { label: 'neutral', score: 0.5 } } },
    { message: message('2-0', { text: '?' }), result: { error: { code: 'missing', message: 'no answer for index 3' } } },
  ]);
  expect(await entries('out')).toEqual([
    { input_id: '1-0', result: '{"value":"positive"}' },
    { input_id: '1-1', result: '{"value":{"label":"neutral","score":0.5}}' },
    { input_id: '2-0', result: '{"error":{"code":"missing","message":"no answer for index 3"}}' },
  ]);
});

test('with a dead-letter stream, errors go there instead, with the input record; each input lands exactly once', async () => {
  const s = await sink({ outputStream: 'out-dl', deadLetterStream: 'failed' });
  await s.write([
    { message: message('1-0', { text: 'great' }), result: { value: 'positive' } },
    { message: message('1-1', { text: 'broken' }), result: { error: { code: 'parse', message: 'unreadable answer' } } },
    { message: message('1-2', { big: 'n' }), result: { value: 10n } }, // can't be JSON: an error too
  ]);
  expect(await entries('out-dl')).toEqual([{ input_id: '1-0', result: '{"value":"positive"}' }]);
  const failed = await entries('failed');
  expect(failed).toEqual([
    { input_id: '1-1', result: '{"error":{"code":"parse","message":"unreadable answer"}}', record: '{"text":"broken"}' },
    { input_id: '1-2', result: expect.stringMatching(/^\{"error":\{"code":"bad_input","message":"encode failed: /), record: '{"big":"n"}' },
  ]);
  const ids = [...(await entries('out-dl')), ...failed].map((e) => e.input_id).sort();
  expect(ids).toEqual(['1-0', '1-1', '1-2']);
});

test('a write with a result that has neither value nor error writes nothing of its batch', async () => {
  const s = await sink({ outputStream: 'out-atomic' });
  await expect(
    s.write([
      { message: message('1-0', 'a'), result: { value: 'ok' } },
      { message: message('1-1', 'b'), result: {} },
    ]),
  ).rejects.toThrow(/needs a value or an error/);
  expect(await admin.exists('out-atomic')).toBe(0);
});

test('a write Redis refuses in part rejects naming why; what it accepted stays (no rollback), so the retry duplicates it', async () => {
  const s = await sink({ outputStream: 'out-partial', deadLetterStream: 'failed-partial' });
  await admin.set('failed-partial', 'not a stream');
  const error = await s
    .write([
      { message: message('1-0', 'a'), result: { value: 'ok' } },
      { message: message('1-1', 'b'), result: { error: { code: 'parse', message: 'x' } } },
    ])
    .catch((e: unknown) => e as Error);
  expect(String((error as Error).message)).toMatch(/^stream sink: Redis refused 1 of 2 output entries: WRONGTYPE/);
  expect(await entries('out-partial')).toEqual([{ input_id: '1-0', result: '{"value":"ok"}' }]);
});

test('maxLen trims the output stream (approximately, as XADD MAXLEN ~ does)', async () => {
  const s = await sink({ outputStream: 'out-trim', maxLen: 10 });
  for (let batch = 0; batch < 30; batch++) {
    await s.write(Array.from({ length: 10 }, (_, i) => ({ message: message(`${batch}-${i}`, i), result: { value: i } })));
  }
  const length = await admin.xLen('out-trim');
  expect(length).toBeLessThan(300);
  expect(length).toBeGreaterThanOrEqual(10);
});

test('a closed sink refuses to write; options are checked at once', async () => {
  const s = await sink({ outputStream: 'out-closed' });
  await s.close();
  await expect(s.write([{ message: message('1-0', 'a'), result: { value: 1 } }])).rejects.toThrow(/closed/);
  await expect(redisStreamSink({ url: redis.url, outputStream: 'same', deadLetterStream: 'same' })).rejects.toThrow(/deadLetterStream must differ from outputStream/);
  await expect(redisStreamSink({ url: redis.url, outputStream: '' })).rejects.toThrow(/outputStream must be a non-empty string/);
  await expect(redisStreamSink({ url: 'redis://127.0.0.1:1', outputStream: 'x' })).rejects.toBeInstanceOf(RedisUnavailableError);
});

// Last: it stops the server (and starts it again, empty).
test('Redis gone: a write rejects as unavailable (so nothing is acked), and works again once Redis is back', async () => {
  const s = await sink({ outputStream: 'out-outage' });
  await redis.stop();
  const error = await s.write([{ message: message('1-0', 'a'), result: { value: 1 } }]).catch((e: unknown) => e);
  expect(isRedisUnavailable(error)).toBe(true);
  await redis.start();
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      await s.write([{ message: message('1-0', 'a'), result: { value: 1 } }]);
      break;
    } catch (retry) {
      if (!isRedisUnavailable(retry) || Date.now() > deadline) throw retry;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  const fresh = createClient({ url: redis.url });
  await fresh.connect();
  try {
    expect((await fresh.xRange('out-outage', '-', '+')).map((e) => ({ ...e.message }))).toEqual([{ input_id: '1-0', result: '{"value":1}' }]);
  } finally {
    fresh.destroy();
  }
});
