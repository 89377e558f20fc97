/**
 * The Redis Streams source against a real redis-server: group creation and
 * joining, reading in batches only when asked, acks, a restarted consumer's own
 * history, taking over a dead consumer's entries after `claimIdleMs` (and not
 * taking a live one's), malformed entries, abort and close. Assertions read
 * the group's state in Redis (XPENDING, XINFO) and count.
 */
import { createClient } from '@redis/client';
import { redisStreamSource, type RedisStreamSource, type RedisStreamSourceOptions } from '../index';
import { startRedis, type TestRedis } from './redis-server';

let redis: TestRedis;
let admin: ReturnType<typeof createClient>;
const opened: RedisStreamSource[] = [];

beforeAll(async () => {
  redis = await startRedis();
  admin = createClient({ url: redis.url });
  await admin.connect();
});
afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
});
afterAll(async () => {
  admin?.destroy();
  await redis?.stop();
});

async function source(options: Partial<RedisStreamSourceOptions> & Pick<RedisStreamSourceOptions, 'stream'>): Promise<RedisStreamSource> {
  const s = await redisStreamSource({ url: redis.url, group: 'g', consumer: 'c1', blockMs: 50, onWarning: () => undefined, ...options });
  opened.push(s);
  return s;
}

async function add(stream: string, count: number, from = 0): Promise<string[]> {
  const ids: string[] = [];
  for (let i = from; i < from + count; i++) ids.push(await admin.xAdd(stream, '*', { record: JSON.stringify({ n: i }) }));
  return ids;
}

/** Entries pending in group `g`, per consumer. */
async function pendingByConsumer(stream: string): Promise<Record<string, number>> {
  const summary = await admin.xPending(stream, 'g');
  return Object.fromEntries((summary.consumers ?? []).map((c) => [String(c.name), Number(c.deliveriesCounter)]));
}

const signalAfter = (ms: number) => AbortSignal.timeout(ms);

describe('the group', () => {
  test('missing: created with the stream (MKSTREAM) when the stream does not exist either', async () => {
    await source({ stream: 'fresh' });
    const groups = await admin.xInfoGroups('fresh');
    expect(groups.map((g) => g.name)).toEqual(['g']);
  });

  test('missing on an existing stream: created from its start, so entries already there are read', async () => {
    const ids = await add('before', 3);
    const s = await source({ stream: 'before' });
    const got = [await s.next(), await s.next(), await s.next()];
    expect(got.map((m) => m?.key)).toEqual(ids);
    expect(got.map((m) => m?.record)).toEqual([{ n: 0 }, { n: 1 }, { n: 2 }]);
  });

  test('existing: joined as it is (not reset), and two consumers split the entries without overlap', async () => {
    await add('shared', 2); // before the group: the group below starts after them
    await admin.xGroupCreate('shared', 'g', '$');
    const ids = await add('shared', 10, 2);
    const a = await source({ stream: 'shared', consumer: 'a', readCount: 3 });
    const b = await source({ stream: 'shared', consumer: 'b', readCount: 3 });
    const seen: Record<string, string[]> = { a: [], b: [] };
    // Alternate until 10 arrived; a consumer with nothing left waits until its short timeout.
    while (seen.a!.length + seen.b!.length < 10) {
      for (const [name, s] of [['a', a], ['b', b]] as const) {
        const m = await s.next(signalAfter(200)).catch(() => undefined);
        if (m) seen[name]!.push(m.key);
      }
    }
    const all = [...seen.a!, ...seen.b!];
    expect([...all].sort()).toEqual([...ids].sort()); // only entries after the group's start, each once
    expect(seen.a!.length).toBeGreaterThan(0);
    expect(seen.b!.length).toBeGreaterThan(0);
  });
});

describe('reading', () => {
  test('reads only when asked and its buffer is empty, COUNT at a time; ack is XACK', async () => {
    await add('batches', 10);
    const s = await source({ stream: 'batches', readCount: 4 });
    expect(await pendingByConsumer('batches')).toEqual({}); // nothing read before next()
    const first = await s.next();
    expect(s.stats()).toMatchObject({ read: 4, buffered: 3, held: 1 });
    expect(await pendingByConsumer('batches')).toEqual({ c1: 4 });
    for (let i = 0; i < 3; i++) await s.next();
    expect(await pendingByConsumer('batches')).toEqual({ c1: 4 }); // the buffer served those: no read
    await s.next();
    expect(await pendingByConsumer('batches')).toEqual({ c1: 8 });

    await first!.ack();
    expect(await pendingByConsumer('batches')).toEqual({ c1: 7 });
    expect(s.stats()).toMatchObject({ acked: 1, held: 4 });
  });

  test('a consumer restarted under the same name first gets back what it had pending', async () => {
    const ids = await add('restart', 3);
    const before = await source({ stream: 'restart', readCount: 2 });
    const m = await before.next();
    await m!.ack();
    await before.next(); // ids[1]: read, never acked
    await before.close(); // ids[2] was never read
    expect(await pendingByConsumer('restart')).toEqual({ c1: 1 });

    const after = await source({ stream: 'restart', readCount: 2 });
    expect((await after.next())?.key).toBe(ids[1]); // its own history first
    expect((await after.next())?.key).toBe(ids[2]);
    const newer = await add('restart', 1, 3);
    expect((await after.next())?.key).toBe(newer[0]);
  });

  test('malformed entries come through marked invalid (bad_input for the runner), with what was read, and can be acked', async () => {
    const good = await admin.xAdd('malformed', '*', { record: '{"text":"ok"}' });
    const missing = await admin.xAdd('malformed', '*', { text: 'no record field' });
    const broken = await admin.xAdd('malformed', '*', { record: '{"text": ' });
    const s = await source({ stream: 'malformed' });
    const got = [await s.next(), await s.next(), await s.next()];
    expect(got.map((m) => m!.key)).toEqual([good, missing, broken]);
    expect(got[0]!.record).toEqual({ text: 'ok' });
    expect(got[0]!.invalid).toBeUndefined();
    expect(got[1]!.invalid).toBe(`entry ${missing} has no "record" field (it has "text"); put the record as JSON in "record"`);
    expect(got[1]!.record).toEqual({ text: 'no record field' });
    expect(got[2]!.invalid).toMatch(new RegExp(`^entry ${broken}: field "record" is not JSON \\(`));
    expect(got[2]!.record).toBe('{"text": ');
    expect(got[1]!.fields).toEqual({ text: 'no record field' });
    expect(s.stats().unreadable).toBe(2);
    await Promise.all(got.map((m) => m!.ack()));
    expect(await pendingByConsumer('malformed')).toEqual({});
  });

  test('an entry deleted from the stream while pending on this consumer is dropped from the group and counted', async () => {
    const [kept, gone] = await add('deleted', 2);
    const before = await source({ stream: 'deleted' });
    await before.next();
    await before.close(); // both pending on c1
    await admin.xDel('deleted', gone!);
    const after = await source({ stream: 'deleted' });
    expect((await after.next())!.key).toBe(kept);
    expect(after.stats()).toMatchObject({ deletedWhilePending: 1, unreadable: 0 });
    expect(await pendingByConsumer('deleted')).toEqual({ c1: 1 }); // only `kept`
  });

  test('an entry deleted while pending on another consumer is dropped by the claim, not handed out', async () => {
    const [kept, gone] = await add('deleted-other', 2);
    await admin.xGroupCreate('deleted-other', 'g', '0');
    await admin.xReadGroup('g', 'busy', { key: 'deleted-other', id: '>' }, { COUNT: 2 });
    await admin.xDel('deleted-other', gone!);
    const s = await source({ stream: 'deleted-other', claimIdleMs: 200 });
    expect((await s.next())!.key).toBe(kept); // taken over once idle
    expect(s.stats()).toMatchObject({ claimed: 1, deletedWhilePending: 1, unreadable: 0 });
    expect(await pendingByConsumer('deleted-other')).toEqual({ c1: 1 });
  });
});

describe('claiming', () => {
  test('entries pending on a dead consumer are taken over once idle for claimIdleMs, not before', async () => {
    const claimIdleMs = 1_000; // far above the ~100 ms the "not before" check below takes, even on a busy machine
    const alive = await source({ stream: 'claim', consumer: 'alive', claimIdleMs });
    const ids = await add('claim', 3);
    // A consumer that reads and dies: its entries stay pending on it.
    await admin.xReadGroup('g', 'dead', { key: 'claim', id: '>' }, { COUNT: 3 });
    expect(await pendingByConsumer('claim')).toEqual({ dead: 3 });

    // Right away the entries are fresh: nothing to claim, nothing new, so next() waits.
    await expect(alive.next(signalAfter(100))).rejects.toThrow();
    expect(alive.stats().claimed).toBe(0);
    expect(await pendingByConsumer('claim')).toEqual({ dead: 3 });

    const got = [await alive.next(), await alive.next(), await alive.next()];
    expect(got.map((m) => m!.key)).toEqual(ids);
    expect(alive.stats().claimed).toBe(3);
    expect(await pendingByConsumer('claim')).toEqual({ alive: 3 });
    const detail = await admin.xPendingRange('claim', 'g', '-', '+', 10);
    expect(detail.map((d) => d.deliveriesCounter)).toEqual([2, 2, 2]); // delivered to dead, then to alive
    expect(detail.every((d) => d.millisecondsSinceLastDelivery < claimIdleMs)).toBe(true);
  });

  test('entries a live source holds are kept fresh: another consumer does not take them', async () => {
    const [id] = await add('fresh-held', 1);
    const claimIdleMs = 300;
    const holder = await source({ stream: 'fresh-held', consumer: 'holder', claimIdleMs });
    const held = await holder.next();
    expect(held!.key).toBe(id);
    const other = await source({ stream: 'fresh-held', consumer: 'other', claimIdleMs });
    // Four claimIdleMs: long enough for the entry to be taken three times over if it went stale.
    await expect(other.next(signalAfter(4 * claimIdleMs))).rejects.toThrow();
    expect(other.stats().claimed).toBe(0);
    expect(await pendingByConsumer('fresh-held')).toEqual({ holder: 1 });

    // Nacked: no longer kept fresh, so after claimIdleMs the other consumer takes it.
    await held!.nack!();
    const taken = await other.next();
    expect(taken!.key).toBe(id);
    expect(await pendingByConsumer('fresh-held')).toEqual({ other: 1 });
  });
});

describe('abort and close', () => {
  test('an aborted next() rejects with the reason; what its read brings is delivered next time', async () => {
    const s = await source({ stream: 'abort', blockMs: 300 });
    const controller = new AbortController();
    const waiting = s.next(controller.signal);
    const reason = new Error('runner stopping');
    controller.abort(reason);
    await expect(waiting).rejects.toBe(reason);
    const [id] = await add('abort', 1);
    expect((await s.next())!.key).toBe(id);
  });

  test('close() ends a next() waiting in a long BLOCK with undefined; later calls get undefined', async () => {
    const s = await source({ stream: 'closing', blockMs: 10_000 });
    const waiting = s.next();
    await new Promise((resolve) => setTimeout(resolve, 50));
    await s.close();
    await expect(waiting).resolves.toBeUndefined();
    await expect(s.next()).resolves.toBeUndefined();
  });

  test('a stream deleted mid-run (or a Redis restarted empty): the group is made again and reading goes on', async () => {
    const s = await source({ stream: 'recreated' });
    const [first] = await add('recreated', 1);
    expect((await s.next())!.key).toBe(first);
    await admin.del('recreated');
    await new Promise((resolve) => setTimeout(resolve, 100));
    const [second] = await add('recreated', 1, 1);
    expect((await s.next())!.key).toBe(second);
  });
});

test('a bad option fails at once with a TypeError naming it', async () => {
  await expect(redisStreamSource({ url: redis.url, stream: '', group: 'g', consumer: 'c' })).rejects.toThrow(/stream must be a non-empty string/);
  await expect(redisStreamSource({ url: redis.url, stream: 's', group: 'g', consumer: 'c', readCount: 0 })).rejects.toThrow(/readCount must be a positive integer/);
  await expect(redisStreamSource({ url: redis.url, stream: 's', group: 'g', consumer: 'c', claimIdleMs: 1 })).rejects.toThrow(/claimIdleMs must be a positive integer of at least 10/);
});

test('a read that timed out on a frozen Redis and ran when it thawed: its entries come out of next() on this consumer, not after claimIdleMs', async () => {
  const s = await source({ stream: 'late-read', claimIdleMs: 60_000, commandTimeoutMs: 300, readCount: 5 });
  const [warmUp] = await add('late-read', 1);
  expect((await s.next(signalAfter(5_000)))?.key).toBe(warmUp);
  const ids = await add('late-read', 20, 1);
  // Read while frozen: the XREADGROUP waits in Redis's socket buffer, times out here, and runs at the thaw.
  redis.freeze();
  const handedOut: string[] = [];
  const reading = (async () => {
    const deadline = Date.now() + 15_000; // far under claimIdleMs
    while (handedOut.length < ids.length && Date.now() < deadline) {
      const message = await s.next(signalAfter(deadline - Date.now())).catch(() => undefined);
      if (!message) break;
      handedOut.push(message.key);
      await message.ack().catch(() => undefined);
    }
  })();
  try {
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  } finally {
    redis.thaw();
  }
  await reading;
  expect([...handedOut].sort()).toEqual([...ids].sort()); // each once
  expect(s.stats().claimed).toBe(0);
}, 30_000);
