/**
 * The pipeline against the in-process FakeKafka: one result per input, commits
 * only behind produced results, redelivery after produce failures, backpressure,
 * rebalances, shutdown and dead-lettering.
 */
import { createKafkaPredictPipeline, SOURCE_HEADERS, type KafkaPredictPipeline, type KafkaPredictPipelineOptions } from '../index.js';
import { FakeKafka, headerText } from '../testing/index.js';
import { ruleModel, sentimentOf, startSimulator } from '@mlpredict/testing';
import { openAIModel } from '@mlpredict/core';
import { inInputOrder, inputIds, omittingModel, outputCounts, seed, watchCommits, withLatency } from './helpers.js';

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

  it('a failed produce is redelivered and nothing past it is committed; in the end nothing is lost', async () => {
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
    expect(p.stats.consumed).toBeGreaterThan(90); // the failed ones were delivered again
    expect(kafka.log.some((e) => e.type === 'seek')).toBe(true);
    expect(commits.violations).toEqual([]);
    const counts = outputCounts(kafka, [OUT]);
    expect(inputIds(kafka, IN).every((id) => (counts.get(id) ?? 0) >= 1)).toBe(true);
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
    const model = withLatency(rules(), () => (hang ? 60_000 : 1));
    // A small bound keeps most records unread, so the hang surely catches some in flight.
    const p = pipeline(kafka, { model, shutdownTimeoutMs: 50, maxInFlight: 10 });
    await p.start();
    await kafka.waitFor(() => kafka.messages(OUT).length >= 10);
    hang = true; // from now on every request hangs until aborted
    await kafka.waitFor(() => p.stats.inFlight > 0);
    const before = Date.now();
    await p.stop();
    expect(Date.now() - before).toBeLessThan(10_000);
    expect(p.stats.state).toBe('stopped');
    expect(commits.violations).toEqual([]);
    const producedAtStop = kafka.messages(OUT).length;
    expect(producedAtStop).toBeLessThan(200);
    expect(p.stats.inFlight).toBeGreaterThan(0); // aborted, not drained: those stay uncommitted

    const restarted = pipeline(kafka);
    await restarted.start();
    await expectAllDone(kafka);
    expect(commits.violations).toEqual([]);
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

  it('start() runs once; stop() before start() just ends it', async () => {
    const kafka = new FakeKafka();
    const p = pipeline(kafka);
    await p.stop();
    await expect(p.done).resolves.toBeUndefined();
    await expect(p.start()).rejects.toThrow(/starts once/);
  });
});
