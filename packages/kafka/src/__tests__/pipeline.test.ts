/**
 * The pipeline against the in-process FakeKafka: one result per input, commits
 * only behind produced results, redelivery after produce failures, backpressure,
 * rebalances, shutdown and dead-lettering.
 */
import { createKafkaPredictPipeline, SOURCE_HEADERS, type KafkaPredictPipeline, type KafkaPredictPipelineOptions, type PipelineProducer } from '../index.js';
import { FakeKafka, headerText } from '../testing/index.js';
import { ruleModel, sentimentOf, startSimulator } from '@mlpredict/testing';
import { openAIModel, type Model } from '@mlpredict/core';
import { inInputOrder, inputIds, omittingModel, outputCounts, seed, watchCommits, withFinalCrash, withLatency } from './helpers.js';

const IN = 'reviews';
const OUT = 'labels';
const DLT = 'labels-failed';
const GROUP = 'labeler';

const sentiment = sentimentOf;
const rules = (latencyMs = 0) => ruleModel(sentimentOf, { latencyMs });
const options = { batchSize: 5, batchTimeoutMs: 5, concurrency: 2, textField: 'text', valueField: 'label', maxRetries: 1, retry: { strategy: 'fixed' as const, baseDelayMs: 1, maxDelayMs: 1 } };

const started: KafkaPredictPipeline[] = [];
afterEach(async () => {
  // Teardown for everything started, even when a test failed half way.
  await Promise.all(started.splice(0).map((p) => p.stop()));
});

function pipeline(kafka: FakeKafka, overrides: Partial<KafkaPredictPipelineOptions> = {}): KafkaPredictPipeline {
  const p = createKafkaPredictPipeline({
    kafka,
    groupId: GROUP,
    inputTopic: IN,
    outputTopic: OUT,
    fromBeginning: true,
    model: rules(),
    options,
    retryDelayMs: 5,
    shutdownTimeoutMs: 5_000,
    ...overrides,
  });
  started.push(p);
  return p;
}

/** Every input has at least one result and the group has committed every partition to its end. */
async function expectAllDone(kafka: FakeKafka, outputTopics = [OUT]) {
  await kafka.waitFor(() => JSON.stringify(kafka.committed(GROUP, IN)) === JSON.stringify(kafka.endOffsets(IN)));
  const counts = outputCounts(kafka, outputTopics);
  const missing = inputIds(kafka, IN).filter((id) => !counts.has(id));
  expect(missing).toEqual([]);
}

describe('createKafkaPredictPipeline on FakeKafka', () => {
  it('produces one result per input, keyed like it, with source headers, in per-partition order, then commits the end', async () => {
    const kafka = new FakeKafka({ topics: { [IN]: 3, [OUT]: 3 } });
    const inputs = seed(kafka, IN, 60);
    const commits = watchCommits(kafka, IN, [OUT]);
    const p = pipeline(kafka);
    await p.start();
    await kafka.waitFor(() => kafka.messages(OUT).length === 60);
    await expectAllDone(kafka);
    await p.stop();

    const outputs = kafka.messages(OUT);
    expect(outputs).toHaveLength(60); // exactly one each: no failure, no duplicate
    expect(new Set(outputs.map((r) => `${headerText(r, SOURCE_HEADERS.partition)}/${headerText(r, SOURCE_HEADERS.offset)}`)).size).toBe(60);
    for (const out of outputs) {
      const source = inputs.find((r) => String(r.partition) === headerText(out, SOURCE_HEADERS.partition) && r.offset === headerText(out, SOURCE_HEADERS.offset))!;
      expect(headerText(out, SOURCE_HEADERS.topic)).toBe(IN);
      expect(out.key?.toString()).toBe(source.key?.toString());
      const body = JSON.parse(out.value!.toString());
      const input = JSON.parse(source.value!.toString());
      expect(body).toEqual({ input, value: sentiment(input.text) });
    }
    expect(inInputOrder(kafka, OUT)).toBe(true);
    expect(commits.commits).toBeGreaterThan(0);
    expect(commits.violations).toEqual([]);
    expect(p.stats).toMatchObject({ state: 'stopped', consumed: 60, produced: 60, errors: 0, inFlight: 0 });
    expect(kafka.openClients).toBe(0);
  });

  it.each([true, false])('commits only offsets whose results (and all earlier ones) are produced (ordered: %s)', async (ordered) => {
    const kafka = new FakeKafka({ topics: { [IN]: 2, [OUT]: 2 }, maxBatchSize: 7 });
    seed(kafka, IN, 80);
    const commits = watchCommits(kafka, IN, [OUT]);
    // Random latencies finish batches out of order; with ordered: false the results arrive out of order too.
    const p = pipeline(kafka, { model: withLatency(rules(), () => Math.random() * 15), options: { ...options, ordered, concurrency: 4 } });
    await p.start();
    await expectAllDone(kafka);
    await p.stop();
    expect(commits.commits).toBeGreaterThan(1);
    expect(commits.violations).toEqual([]);
    expect(kafka.messages(OUT)).toHaveLength(80);
    expect(inInputOrder(kafka, OUT)).toBe(true);
  });

  it('a failed produce is retried and nothing past it is committed; in the end nothing is lost or duplicated', async () => {
    const kafka = new FakeKafka({ topics: { [IN]: 3, [OUT]: 3 } });
    seed(kafka, IN, 90);
    const commits = watchCommits(kafka, IN, [OUT]);
    kafka.failSends(2);
    const p = pipeline(kafka, { model: rules(2) });
    await p.start();
    await kafka.waitFor(() => kafka.messages(OUT).length >= 30);
    kafka.failSends(3); // and again mid-stream
    await expectAllDone(kafka);
    await p.stop();

    expect(p.stats.produceFailures).toBe(5);
    // The runner writes the same results again: nothing is fetched twice, nothing is produced twice.
    expect(p.stats.consumed).toBe(90);
    expect(kafka.log.filter((e) => e.type === 'send-failed')).toHaveLength(5);
    expect(commits.violations).toEqual([]);
    const counts = outputCounts(kafka, [OUT]);
    expect(inputIds(kafka, IN).map((id) => counts.get(id) ?? 0)).toEqual(Array(90).fill(1));
    expect(inInputOrder(kafka, OUT)).toBe(true);
  });

  it('pauses the partitions it feeds when records in flight reach the bound, and resumes them', async () => {
    const kafka = new FakeKafka({ topics: { [IN]: 2, [OUT]: 2 }, maxBatchSize: 16 });
    seed(kafka, IN, 120);
    const bound = 8;
    let worstAhead = 0;
    // Fetched ahead = messages the consumer has moved past minus results produced: what sits in memory.
    const stopWatching = kafka.onEvent(() => {
      const fetched = Number(kafka.fetchPosition(GROUP, IN, 0)) + Number(kafka.fetchPosition(GROUP, IN, 1));
      worstAhead = Math.max(worstAhead, fetched - kafka.messages(OUT).length);
    });
    const p = pipeline(kafka, { model: rules(10), options: { ...options, batchSize: 4, concurrency: 1 }, maxInFlight: bound });
    await p.start();
    await expectAllDone(kafka);
    await p.stop();
    stopWatching();

    expect(kafka.log.some((e) => e.type === 'pause' && e.topic === IN)).toBe(true);
    expect(kafka.log.some((e) => e.type === 'resume' && e.topic === IN)).toBe(true);
    expect(p.stats.pauses).toBeGreaterThan(0);
    expect(worstAhead).toBeGreaterThan(bound / 2);
    expect(worstAhead).toBeLessThanOrEqual(bound);
    expect(p.stats.peakInFlight).toBe(bound);
  });

  it('a rebalance that keeps every partition delivers nothing twice: in-flight records are not taken again', async () => {
    const kafka = new FakeKafka({ topics: { [IN]: 3, [OUT]: 3 } });
    seed(kafka, IN, 90);
    const commits = watchCommits(kafka, IN, [OUT]);
    const p = pipeline(kafka, { model: rules(5) });
    await p.start();
    for (const after of [10, 30, 60]) {
      await kafka.waitFor(() => kafka.messages(OUT).length >= after);
      kafka.rebalance(GROUP);
    }
    await expectAllDone(kafka);
    await p.stop();
    expect(p.stats.rebalances).toBe(4); // the first join and three rebalances
    expect(kafka.messages(OUT)).toHaveLength(90); // exactly one each
    expect(inInputOrder(kafka, OUT)).toBe(true);
    expect(commits.violations).toEqual([]);
  });

  it('on a rebalance that moves partitions away, nothing in flight for them is committed; the new owner finishes them', async () => {
    const kafka = new FakeKafka({ topics: { [IN]: 4, [OUT]: 4 } });
    seed(kafka, IN, 160);
    const commits = watchCommits(kafka, IN, [OUT]);
    const first = pipeline(kafka, { model: rules(8) });
    await first.start();
    await kafka.waitFor(() => kafka.messages(OUT).length >= 20 && first.stats.inFlight > 0);
    const second = pipeline(kafka, { model: rules(8) });
    await second.start();

    await expectAllDone(kafka);
    // Which partitions did the first member lose, and when?
    const joins = kafka.log.filter((e) => e.type === 'join' && e.memberId === 'member-1');
    expect(joins.length).toBeGreaterThanOrEqual(2);
    const lastJoin = kafka.log.lastIndexOf(joins.at(-1)!);
    const kept = (joins.at(-1) as { assignment: Record<string, number[]> }).assignment[IN]!;
    expect(kept.length).toBe(2);
    const lateCommitsElsewhere = kafka.log
      .slice(lastJoin)
      .filter((e) => e.type === 'commit' && e.memberId === 'member-1' && !kept.includes(e.partition));
    expect(lateCommitsElsewhere).toEqual([]);
    expect(first.stats.dropped + first.stats.commitFailures).toBeGreaterThan(0); // it did have work in flight for lost partitions
    expect(commits.violations).toEqual([]);
    await Promise.all([first.stop(), second.stop()]);
    expect(kafka.openClients).toBe(0);
  });

  it('stop() mid-stream finishes in-flight batches, commits only what was produced, and a restart processes the rest', async () => {
    const kafka = new FakeKafka({ topics: { [IN]: 2, [OUT]: 2 } });
    seed(kafka, IN, 200);
    const commits = watchCommits(kafka, IN, [OUT]);
    const p = pipeline(kafka, { model: rules(10), maxInFlight: 20 });
    await p.start();
    await kafka.waitFor(() => kafka.messages(OUT).length >= 20 && p.stats.inFlight > 0);
    await p.stop();
    await p.done;
    expect(p.stats).toMatchObject({ state: 'stopped', inFlight: 0 }); // drained, not dropped
    // Fetching stopped first: the topic was paused before the last results of the drain went out.
    const pausedAt = kafka.log.findIndex((e) => e.type === 'pause' && e.topic === IN && e.partitions === undefined);
    expect(pausedAt).toBeGreaterThanOrEqual(0);
    expect(pausedAt).toBeLessThan(kafka.log.map((e) => e.type).lastIndexOf('send'));
    const producedAtStop = kafka.messages(OUT).length;
    expect(producedAtStop).toBeLessThan(200);
    expect(p.stats.produced).toBe(p.stats.consumed); // everything it took got its result out
    expect(kafka.openClients).toBe(0);
    const committed = kafka.committed(GROUP, IN);
    expect(Object.values(committed).reduce((n, o) => n + Number(o), 0)).toBe(producedAtStop);

    const restarted = pipeline(kafka);
    await restarted.start();
    await expectAllDone(kafka);
    await restarted.stop();
    expect(kafka.messages(OUT)).toHaveLength(200); // a graceful stop leaves no duplicates either
    expect(commits.violations).toEqual([]);
  });

  it('stop() aborts batches still running after shutdownTimeoutMs and commits nothing it did not produce', async () => {
    const kafka = new FakeKafka({ topics: { [IN]: 2, [OUT]: 2 } });
    seed(kafka, IN, 200);
    const commits = watchCommits(kafka, IN, [OUT]);
    let hang = false;
    let hanging = 0;
    const model = withLatency(rules(), () => (hang ? (hanging++, 60_000) : 1));
    // A small bound keeps most records unread, so the hang surely catches some in flight.
    const p = pipeline(kafka, { model, shutdownTimeoutMs: 50, maxInFlight: 10 });
    await p.start();
    await kafka.waitFor(() => kafka.messages(OUT).length >= 10);
    hang = true; // from now on every request hangs until aborted
    await kafka.waitFor(() => hanging > 0);
    const before = Date.now();
    await p.stop();
    expect(Date.now() - before).toBeLessThan(10_000);
    expect(p.stats.state).toBe('stopped');
    expect(commits.violations).toEqual([]);
    const producedAtStop = kafka.messages(OUT).length;
    expect(producedAtStop).toBeLessThan(200);
    expect(p.stats.nacked).toBeGreaterThan(0); // aborted, not drained: handed back, they stay uncommitted
    expect(p.stats.produced).toBe(p.stats.consumed - p.stats.nacked);

    const restarted = pipeline(kafka);
    await restarted.start();
    await expectAllDone(kafka);
    expect(commits.violations).toEqual([]);
  });

  it('killed mid-run (no last produce, no last commit) and restarted: every input gets its result, no offset is committed before its result', async () => {
    const kafka = new FakeKafka({ topics: { [IN]: 3, [OUT]: 3 } });
    seed(kafka, IN, 150);
    const commits = watchCommits(kafka, IN, [OUT]);
    const consumer = kafka.consumer({ groupId: GROUP });
    const producer = kafka.producer();
    const doomed = pipeline(kafka, { kafka: undefined, consumer, producer, model: rules(10), maxInFlight: 30, shutdownTimeoutMs: 0 });
    await doomed.start();
    await kafka.waitFor(() => kafka.messages(OUT).length >= 30 && doomed.stats.consumed > doomed.stats.produced);
    const fetchedAtKill = [0, 1, 2].reduce((n, p) => n + Number(kafka.fetchPosition(GROUP, IN, p)), 0);
    kafka.kill(consumer, producer);
    const committedAtKill = kafka.committed(GROUP, IN);
    const producedAtKill = kafka.messages(OUT).length;
    const sumCommitted = Object.values(committedAtKill).reduce((n, o) => n + Number(o), 0);
    expect(fetchedAtKill).toBeGreaterThan(sumCommitted); // it did die with work taken and not committed

    // Only to release the test's handles: a dead process does nothing more, and neither does this one.
    await doomed.stop();
    expect(kafka.committed(GROUP, IN)).toEqual(committedAtKill);
    expect(kafka.messages(OUT)).toHaveLength(producedAtKill);

    const restarted = pipeline(kafka);
    await restarted.start();
    await expectAllDone(kafka);
    await restarted.stop();
    expect(commits.violations).toEqual([]);
    // Kafka delivered again exactly what was not committed, and nothing committed was skipped.
    expect(restarted.stats.consumed).toBe(150 - sumCommitted);
    const counts = outputCounts(kafka, [OUT]);
    const twice = inputIds(kafka, IN).filter((id) => counts.get(id)! > 1);
    for (const id of twice) {
      const [partition, offset] = id.split('/').map(Number);
      expect(offset!).toBeGreaterThanOrEqual(Number(committedAtKill[partition!] ?? 0)); // duplicates only of uncommitted inputs
    }
    expect(kafka.openClients).toBe(0);
  });

  it('commits each partition in rising order, only behind produced results, while batches finish out of order', async () => {
    const kafka = new FakeKafka({ topics: { [IN]: 3, [OUT]: 3 }, maxBatchSize: 5 });
    seed(kafka, IN, 150);
    const commits = watchCommits(kafka, IN, [OUT]);
    const slow = withLatency(rules(), () => Math.random() * 20);
    const finished: number[] = [];
    let calls = 0;
    const model: Model = {
      name: slow.name,
      async complete(request) {
        const call = calls++;
        const answer = await slow.complete(request);
        finished.push(call);
        return answer;
      },
    };
    const p = pipeline(kafka, { model, options: { ...options, batchSize: 3, concurrency: 6 } });
    await p.start();
    await expectAllDone(kafka);
    await p.stop();

    expect(finished).not.toEqual([...finished].sort((a, b) => a - b)); // answers did come back out of order
    for (const partition of [0, 1, 2]) {
      const offsets = kafka.log.flatMap((e) => (e.type === 'commit' && e.partition === partition ? [Number(e.offset)] : []));
      expect(offsets.length).toBeGreaterThan(1);
      expect(offsets.every((o, i) => i === 0 || o > offsets[i - 1]!)).toBe(true);
      expect(offsets.at(-1)).toBe(Number(kafka.endOffsets(IN)[partition]));
    }
    expect(commits.violations).toEqual([]);
    expect(kafka.messages(OUT)).toHaveLength(150);
    expect(inInputOrder(kafka, OUT)).toBe(true);
  });

  it('a rebalance mid-run while results are being produced: the old owner produces nothing of the revoked partitions after it, the new owner answers them', async () => {
    const kafka = new FakeKafka({ topics: { [IN]: 4, [OUT]: 4 }, sendDelayMs: 10 });
    seed(kafka, IN, 200);
    const commits = watchCommits(kafka, IN, [OUT]);
    // The first member's producer, recording which input partitions each send carried and when it started.
    const producer = kafka.producer();
    const sends: { at: number; partitions: number[] }[] = [];
    const recording: PipelineProducer = {
      connect: () => producer.connect(),
      disconnect: () => producer.disconnect(),
      sendBatch: (batch) => {
        sends.push({ at: kafka.log.length, partitions: (batch.topicMessages ?? []).flatMap((t) => t.messages.map((m) => Number(m.headers![SOURCE_HEADERS.partition]))) });
        return producer.sendBatch(batch);
      },
    };
    const first = pipeline(kafka, { kafka: undefined, consumer: kafka.consumer({ groupId: GROUP }), producer: recording, model: rules(5), options: { ...options, concurrency: 4 } });
    await first.start();
    await kafka.waitFor(() => kafka.messages(OUT).length >= 20 && first.stats.consumed - first.stats.produced > 10);
    const second = pipeline(kafka, { model: rules(5) });
    await second.start();
    await expectAllDone(kafka);

    const joins = kafka.log.flatMap((e, at) => (e.type === 'join' && e.memberId === 'member-1' ? [{ at, assignment: e.assignment }] : []));
    expect(joins).toHaveLength(2);
    const kept = joins[1]!.assignment[IN]!;
    expect(kept).toHaveLength(2);
    const after = sends.filter((s) => s.at > joins[1]!.at);
    expect(after.length).toBeGreaterThan(0);
    const late = after.flatMap((s) => s.partitions.filter((p) => !kept.includes(p)));
    expect(late).toEqual([]);
    expect(first.stats.dropped).toBeGreaterThan(0); // it held messages of the partitions it lost
    expect(second.stats.consumed).toBeGreaterThan(0);
    expect(commits.violations).toEqual([]);
    await Promise.all([first.stop(), second.stop()]);
    expect(kafka.openClients).toBe(0);
  });

  it('a consumer crash kafkajs gives up on stops the pipeline: done rejects with it, everything is released', async () => {
    const kafka = new FakeKafka({ topics: { [IN]: 2, [OUT]: 2 } });
    seed(kafka, IN, 40);
    const { consumer, crash } = withFinalCrash(kafka.consumer({ groupId: GROUP }));
    const p = pipeline(kafka, { kafka: undefined, consumer, producer: kafka.producer(), model: rules(5) });
    await p.start();
    await kafka.waitFor(() => kafka.messages(OUT).length >= 5);
    const boom = new Error('group coordinator gone for good');
    crash(boom);
    await expect(p.done).rejects.toBe(boom);
    expect(p.stats.state).toBe('failed');
    expect(p.stats.inFlight).toBe(0);
    expect(kafka.openClients).toBe(0);
    await expect(p.stop()).resolves.toBeUndefined();
  });

  it('a fatal model error (a bad API key) stops the pipeline with nothing produced or committed; fixed, a restart answers everything', async () => {
    const sim = await startSimulator({ apiKey: 'the-right-key' });
    try {
      const kafka = new FakeKafka({ topics: { [IN]: 2, [OUT]: 2 } });
      seed(kafka, IN, 30);
      const wrong = pipeline(kafka, { model: openAIModel({ model: 'sim', baseURL: sim.url, apiKey: 'wrong' }) });
      await wrong.start();
      await expect(wrong.done).rejects.toThrow(/401/);
      expect(wrong.stats).toMatchObject({ state: 'failed', produced: 0 });
      expect(kafka.messages(OUT)).toEqual([]);
      expect(kafka.committed(GROUP, IN)).toEqual({});

      const right = pipeline(kafka, { model: openAIModel({ model: 'sim', baseURL: sim.url, apiKey: 'the-right-key' }) });
      await right.start();
      await expectAllDone(kafka);
      await right.stop();
      expect(kafka.messages(OUT)).toHaveLength(30);
    } finally {
      await sim.close();
    }
  });

  it('routes results that end in error to the dead-letter topic, with the error code header', async () => {
    const kafka = new FakeKafka({ topics: { [IN]: 2, [OUT]: 2, [DLT]: 1 } });
    seed(kafka, IN, 30, (id) => (id % 5 === 0 ? `unanswerable ${id}` : `good ${id}`));
    kafka.append(IN, [{ key: 'tombstone', value: null }]); // nothing to predict: bad_input
    // The model never answers "unanswerable" inputs: they end in error after repair.
    const model = omittingModel((text) => (text.startsWith('unanswerable') ? undefined : 'positive'));
    const commits = watchCommits(kafka, IN, [OUT, DLT]);
    const p = pipeline(kafka, { model, deadLetterTopic: DLT });
    await p.start();
    await expectAllDone(kafka, [OUT, DLT]);
    await p.stop();

    const dead = kafka.messages(DLT);
    expect(dead).toHaveLength(7);
    const codes = dead.map((r) => headerText(r, SOURCE_HEADERS.errorCode)!);
    expect(codes.filter((c) => c === 'bad_input')).toHaveLength(1); // the tombstone
    // The rest the model never answered; the core reports that as `missing` or `parse`.
    expect(codes.filter((c) => c !== 'bad_input').every((c) => c === 'missing' || c === 'parse')).toBe(true);
    const deadInputs = dead.map((r) => JSON.parse(r.value!.toString()).input);
    expect(deadInputs.filter((i) => i !== null).map((i) => i.text).sort()).toEqual(['unanswerable 0', 'unanswerable 10', 'unanswerable 15', 'unanswerable 20', 'unanswerable 25', 'unanswerable 5']);
    for (const r of dead) {
      const body = JSON.parse(r.value!.toString());
      expect(body.error.code).toBe(headerText(r, SOURCE_HEADERS.errorCode));
      expect(body.value).toBeUndefined();
    }
    expect(kafka.messages(OUT)).toHaveLength(24);
    expect(kafka.messages(OUT).every((r) => headerText(r, SOURCE_HEADERS.errorCode) === undefined)).toBe(true);
    expect(p.stats).toMatchObject({ deadLettered: 7, errors: 7, produced: 31 });
    expect(commits.violations).toEqual([]);
  });

  it('without a dead-letter topic, errors go to the output topic like values', async () => {
    const kafka = new FakeKafka({ topics: { [IN]: 1, [OUT]: 1 } });
    seed(kafka, IN, 6, (id) => (id === 2 ? 'unanswerable' : 'fine'));
    const p = pipeline(kafka, { model: omittingModel((text) => (text === 'unanswerable' ? undefined : 'ok')) });
    await p.start();
    await expectAllDone(kafka);
    await p.stop();
    const bodies = kafka.messages(OUT).map((r) => JSON.parse(r.value!.toString()));
    expect(bodies.map((b) => (b.error ? 'error' : b.value))).toEqual(['ok', 'ok', 'error', 'ok', 'ok', 'ok']);
    expect(bodies[2].input).toEqual({ id: 2, text: 'unanswerable' });
  });

  it('custom decode and encode', async () => {
    const kafka = new FakeKafka({ topics: { [IN]: 1, [OUT]: 1 } });
    kafka.append(IN, [{ key: 'a', value: 'great,1' }, { key: 'b', value: 'terrible,2' }]);
    const p = pipeline(kafka, {
      decode: (message) => ({ text: message.value!.toString().split(',')[0] }),
      encode: (result, source) => `${source.offset}:${String(result.value)}`,
    });
    await p.start();
    await expectAllDone(kafka);
    await p.stop();
    expect(kafka.messages(OUT).map((r) => r.value!.toString())).toEqual(['0:positive', '1:negative']);
  });

  it('stops on SIGTERM when handleSignals is set, and removes its handlers', async () => {
    const kafka = new FakeKafka({ topics: { [IN]: 1, [OUT]: 1 } });
    seed(kafka, IN, 5);
    const before = process.listeners('SIGTERM');
    const p = pipeline(kafka, { handleSignals: true });
    await p.start();
    const added = process.listeners('SIGTERM').filter((l) => !before.includes(l));
    expect(added).toHaveLength(1);
    // Call our handler directly rather than process.emit, which would reach jest's own handlers.
    (added[0] as () => void)();
    await p.done;
    expect(p.stats.state).toBe('stopped');
    expect(process.listeners('SIGTERM').filter((l) => !before.includes(l))).toEqual([]);
    expect(kafka.openClients).toBe(0);
  });

  it('stops when the signal in options aborts', async () => {
    const kafka = new FakeKafka({ topics: { [IN]: 1, [OUT]: 1 } });
    const controller = new AbortController();
    const p = pipeline(kafka, { options: { ...options, signal: controller.signal } });
    await p.start();
    controller.abort();
    await p.done;
    expect(p.stats.state).toBe('stopped');
  });

  it('runs over HTTP against the simulator, through 500s and 429s and a failed produce, losing nothing', async () => {
    const sim = await startSimulator({ latencyMs: [2, 10], faults: { serverError: 0.1, rateLimit: 0.1 }, seed: 3 });
    try {
      const kafka = new FakeKafka({ topics: { [IN]: 3, [OUT]: 3 } });
      const inputs = seed(kafka, IN, 60, (id) => (id % 2 ? `Great phone, works well ${id}` : `Terrible, broke after a week ${id}`));
      const commits = watchCommits(kafka, IN, [OUT]);
      kafka.failSends(1);
      const model = openAIModel({ model: 'sim', baseURL: sim.url, apiKey: 'test' });
      const p = pipeline(kafka, { model, options: { ...options, maxRetries: 6 } });
      await p.start();
      await expectAllDone(kafka);
      await p.stop();
      expect(sim.stats.byStatus[500] ?? 0).toBeGreaterThan(0);
      expect(commits.violations).toEqual([]);
      const latest = new Map(kafka.messages(OUT).map((r) => [`${headerText(r, SOURCE_HEADERS.partition)}/${headerText(r, SOURCE_HEADERS.offset)}`, JSON.parse(r.value!.toString())]));
      for (const input of inputs) {
        const body = latest.get(`${input.partition}/${input.offset}`);
        expect(body?.value).toBe(sentimentOf(JSON.parse(input.value!.toString()).text));
      }
    } finally {
      await sim.close();
    }
  });

  it('validates its options at construction, naming the bad one', () => {
    const kafka = new FakeKafka();
    const base = { kafka, groupId: GROUP, inputTopic: IN, outputTopic: OUT, model: rules() };
    expect(() => createKafkaPredictPipeline({ ...base, options: { batchSize: 0 } })).toThrow(/batchSize/);
    expect(() => createKafkaPredictPipeline({ ...base, groupId: undefined })).toThrow(/groupId/);
    expect(() => createKafkaPredictPipeline({ ...base, outputTopic: IN })).toThrow(/must differ/);
    expect(() => createKafkaPredictPipeline({ ...base, maxInFlight: 0 })).toThrow(/maxInFlight/);
    expect(() => createKafkaPredictPipeline({ ...base, kafka: undefined, consumer: kafka.consumer({ groupId: GROUP }) })).toThrow(/consumer and producer/);
  });

  it('a start that fails (the producer cannot connect) rejects start() and done, and leaves nothing connected', async () => {
    const kafka = new FakeKafka({ topics: { [IN]: 1, [OUT]: 1 } });
    const refused = new Error('connect ECONNREFUSED');
    const producer: PipelineProducer = { connect: async () => Promise.reject(refused), disconnect: async () => undefined, sendBatch: async () => [] };
    const p = pipeline(kafka, { kafka: undefined, consumer: kafka.consumer({ groupId: GROUP }), producer });
    await expect(p.start()).rejects.toBe(refused);
    await expect(p.done).rejects.toBe(refused);
    expect(p.stats.state).toBe('failed');
    expect(kafka.openClients).toBe(0); // the consumer it had connected is disconnected again
    expect(kafka.assignment(GROUP, IN)).toEqual({});
  });

  it('start() runs once; stop() before start() just ends it', async () => {
    const kafka = new FakeKafka();
    const p = pipeline(kafka);
    await p.stop();
    await expect(p.done).resolves.toBeUndefined();
    await expect(p.start()).rejects.toThrow(/starts once/);
  });
});
