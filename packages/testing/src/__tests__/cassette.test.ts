/** withCassette: record, replay whatever batches form, auto, the file, misses. */
import { itemsByRecord } from '../cassette/answer-items';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ModelCallError, embedAll, openAIModel, predictAll, type Model, type CompletionRequest } from '@mlpredict/core';
import { renderMessages, resolveOptions } from '@mlpredict/core/internals';
import { withCassette, CassetteMissError, CASSETTE_ENV } from '../cassette/with-cassette.js';
import { readCassetteRequest } from '../cassette/request-key.js';
import { ruleModel } from '../fakes/rule-model.js';
import { scriptedModel } from '../fakes/scripted-model.js';
import { sentimentOf } from '../sentiment.js';
import { startSimulator } from '../simulator/server.js';

let dir: string;
let file: string;
const cassetteEnv = process.env[CASSETTE_ENV];
afterAll(() => {
  if (cassetteEnv !== undefined) process.env[CASSETTE_ENV] = cassetteEnv;
});
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cassette-'));
  file = join(dir, 'nested', 'sentiment.json');
  delete process.env[CASSETTE_ENV];
});
afterEach(() => {
  delete process.env[CASSETTE_ENV];
  rmSync(dir, { recursive: true, force: true });
});

const REVIEWS = [
  'Great phone, love it',
  'Broke in a day',
  'It is blue',
  'Excellent battery',
  'Terrible screen',
  'Came in a box',
  'Works perfectly',
  'Awful support',
  'Has two buttons',
  'Fantastic value',
];
const sentiment = { valueField: 'sentiment', instruction: 'Classify the sentiment of each review.' };

/** A model that must not be called: any call fails the run's records and shows in `calls`. */
const offline = () => scriptedModel([], { name: 'fake:rule' });

async function record(options: Record<string, unknown> = {}, inputs = REVIEWS) {
  const inner = ruleModel(sentimentOf);
  const model = withCassette(inner, { path: file, mode: 'record' });
  const results = await predictAll<string, string>(model, inputs, { ...sentiment, batchSize: 4, batchTimeoutMs: 5, ...options });
  await model.save();
  return { inner, model, results };
}

it('records a run and replays it with other batches, no model call, same values in order', async () => {
  const { results, inner, model } = await record({ batchSize: 4 });
  expect(inner.calls).toHaveLength(3);
  expect(model.stats).toEqual({ recorded: 10, replayed: 0, modelCalls: 3 });
  expect(results.map((r) => r.value)).toEqual(REVIEWS.map(sentimentOf));

  for (const options of [{ batchSize: 3, concurrency: 1 }, { batchSize: 7, concurrency: 4 }, { batchSize: 1 }, { batchSize: 20, ordered: false }]) {
    const tape = offline();
    const replay = withCassette(tape, { path: file, mode: 'replay' });
    const replayed = await predictAll<string, string>(replay, REVIEWS, { ...sentiment, batchTimeoutMs: 5, ...options });
    expect(tape.calls).toHaveLength(0);
    expect(replayed.map((r) => r.error)).toEqual(REVIEWS.map(() => undefined));
    expect(replayed.map((r) => [r.input, r.value])).toEqual(REVIEWS.map((t) => [t, sentimentOf(t)]));
    expect(replay.stats.replayed).toBe(10);
  }
});

it('replays a batch in any order and under other indices, with the recorded usage', async () => {
  const inner = scriptedModel([{ text: '[{"index":1,"label":"a"},{"index":2,"label":"b"},{"index":3,"label":"c"},{"index":4,"label":"d"}]', usage: { promptTokens: 10, completionTokens: 7 } }]);
  const options = resolveOptions({ valueField: 'label' });
  const texts = ['w', 'x', 'y', 'z'];
  const recorder = withCassette(inner, { path: file, mode: 'record' });
  await recorder.complete({ messages: renderMessages(texts.map((t) => ({ text: t, input: t })), options.prompt) });
  await recorder.save();

  const replay = withCassette(offline(), { path: file, mode: 'replay' });
  const whole = await replay.complete({ messages: renderMessages(texts.map((t) => ({ text: t, input: t })), options.prompt) });
  expect(whole).toEqual({ text: '[{"index":1,"label":"a"},{"index":2,"label":"b"},{"index":3,"label":"c"},{"index":4,"label":"d"}]', finishReason: 'stop', usage: { promptTokens: 10, completionTokens: 7 } });

  const reordered = await replay.complete({ messages: renderMessages(['z', 'w'].map((t) => ({ text: t, input: t })), { ...options.prompt, indexBase: 0 }) });
  expect(JSON.parse(reordered.text)).toEqual([
    { index: 0, label: 'd' },
    { index: 1, label: 'a' },
  ]);
  // Shares of 10 and 7 over four records: 3,3,2,2 and 2,2,2,1.
  expect(reordered.usage).toEqual({ promptTokens: 2 + 3, completionTokens: 1 + 2 });
});

it('matches a prompt context whatever the batch size ("exactly 20 objects" and "exactly 7 objects")', () => {
  const options = resolveOptions(sentiment);
  const of = (texts: string[]) => readCassetteRequest(renderMessages(texts.map((t) => ({ text: t, input: t })), options.prompt));
  const twenty = of(Array.from({ length: 20 }, (_, i) => `thing ${i}`));
  const seven = of(['a', 'b', 'c', 'd', 'e', 'f', 'g']);
  expect(twenty.kind).toBe('batch');
  expect(seven.kind).toBe('batch');
  if (twenty.kind !== 'batch' || seven.kind !== 'batch') return;
  expect(twenty.contextKey).toBe(seven.contextKey);
  expect(twenty.prompt).toContain('exactly # objects');
  expect(twenty.prompt).toContain('{{records}}');
  expect(twenty.prompt).not.toContain('thing');
  expect(twenty.records[19]).toEqual({ index: 20, text: 'thing 19' });
  const other = readCassetteRequest(renderMessages([{ text: 'a', input: 'a' }], resolveOptions({ ...sentiment, instruction: 'Rate each review.' }).prompt));
  expect(other.kind === 'batch' && other.contextKey).not.toBe(twenty.contextKey);
});

it('fails an unrecorded record with an error naming it and how to record it; the rest of its batch still replays', async () => {
  await record();
  const tape = offline();
  const replay = withCassette(tape, { path: file, mode: 'replay' });
  const inputs = ['Great phone, love it', 'A brand new review', 'Broke in a day'];
  const results = await predictAll<string, string>(replay, inputs, { ...sentiment, batchSize: 3 });
  expect(tape.calls).toHaveLength(0);
  expect(results.map((r) => r.value)).toEqual(['positive', undefined, 'negative']);
  const error = results[1]!.error!;
  expect(error.code).toBe('http');
  expect(error.message).toContain('no recorded answer');
  expect(error.message).toContain('"A brand new review"');
  expect(error.message).toContain(file);
  expect(error.message).toContain("mode: 'auto'");
  expect(error.message).toContain("mode: 'record'");
  expect(error.message).toContain(`${CASSETTE_ENV}=record`);
  expect(error.message).toContain('Prompt context');
  expect(error.message).toContain('other records under this prompt context');
  // Not retried: a miss is no network error.
  expect(results[1]!.meta.attempts).toBeLessThanOrEqual(2);
});

it('says so when the prompt itself changed', async () => {
  await record();
  const replay = withCassette(offline(), { path: file, mode: 'replay' });
  const error = await replay
    .complete({ messages: renderMessages([{ text: 'Great phone, love it', input: '' }], resolveOptions({ ...sentiment, instruction: 'Rate each review.' }).prompt) })
    .catch((e: unknown) => e);
  expect(error).toBeInstanceOf(CassetteMissError);
  expect(error).toBeInstanceOf(ModelCallError);
  expect((error as CassetteMissError).missing).toEqual(['Great phone, love it']);
  expect((error as Error).message).toContain('nothing under this prompt context');
  expect((error as Error).message).toContain('Rate each review.');
});

it('replay with no cassette file fails with the path and how to record', async () => {
  const replay = withCassette(offline(), { path: file, mode: 'replay' });
  const results = await predictAll(replay, ['x'], sentiment);
  expect(results[0]!.error!.message).toContain(`no cassette at ${file}`);
  expect(results[0]!.error!.message).toContain(`${CASSETTE_ENV}=auto`);
});

it("'auto' replays what is there and records the rest", async () => {
  await record({}, REVIEWS.slice(0, 6));
  const inner = ruleModel(sentimentOf);
  const auto = withCassette(inner, { path: file, mode: 'auto' });
  const results = await predictAll<string, string>(auto, REVIEWS, { ...sentiment, batchSize: 2, concurrency: 1 });
  await auto.save();
  expect(results.map((r) => r.value)).toEqual(REVIEWS.map(sentimentOf));
  // Batches of two: the first three were all on tape, the last two were not.
  expect(inner.calls).toHaveLength(2);
  expect(auto.stats).toEqual({ recorded: 4, replayed: 6, modelCalls: 2 });

  const tape = offline();
  const replay = withCassette(tape, { path: file, mode: 'replay' });
  const again = await predictAll<string, string>(replay, REVIEWS, { ...sentiment, batchSize: 10 });
  expect(again.map((r) => r.value)).toEqual(REVIEWS.map(sentimentOf));
  expect(tape.calls).toHaveLength(0);
});

it(`${CASSETTE_ENV} overrides the mode; a bad value is a TypeError`, async () => {
  await record();
  process.env[CASSETTE_ENV] = 'replay';
  const tape = offline();
  const model = withCassette(tape, { path: file, mode: 'record' });
  expect(model.mode).toBe('replay');
  await predictAll(model, REVIEWS, sentiment);
  expect(tape.calls).toHaveLength(0);

  process.env[CASSETTE_ENV] = 'rewind';
  expect(() => withCassette(tape, { path: file, mode: 'record' })).toThrow(/MLPREDICT_CASSETTE="rewind" is not a mode; expected 'record', 'replay' or 'auto'/);
  delete process.env[CASSETTE_ENV];
  expect(withCassette(tape, { path: file }).mode).toBe('replay');
  expect(() => withCassette(tape, { path: '' })).toThrow(TypeError);
});

it('writes a stable file: version, sorted keys, two spaces, trailing newline, same bytes for the same run', async () => {
  await record();
  const first = readFileSync(file, 'utf8');
  const data = JSON.parse(first);
  expect(data.version).toBe(1);
  expect(first.endsWith('}\n')).toBe(true);
  expect(first).toBe(`${JSON.stringify(sortKeys(data), null, 2)}\n`);
  const [context] = Object.values(data.batches) as Array<{ prompt: string; system: string; indexField: string; records: Record<string, { item: unknown }> }>;
  expect(context!.indexField).toBe('index');
  expect(context!.prompt).toContain('Classify the sentiment of each review.');
  expect(context!.records['Broke in a day']!.item).toEqual({ sentiment: 'negative' });
  expect(Object.keys(context!.records)).toHaveLength(10);

  await record();
  expect(readFileSync(file, 'utf8')).toBe(first);
  expect(readdirSync(join(dir, 'nested'))).toEqual(['sentiment.json']);
});

it('records items read leniently: fences, a wrapping object, string indices, shuffled, cut off', async () => {
  const inner = scriptedModel([
    'Sure!\n```json\n{"results": [{"index": "2", "label": "b"}, {"index": "Input 1", "label": "a"}]}\n```',
    { text: '[{"index": 1, "label": "c"}, {"index": 2, "lab', finishReason: 'length' },
  ]);
  const options = resolveOptions({ valueField: 'label' });
  const messages = (texts: string[]) => renderMessages(texts.map((t) => ({ text: t, input: t })), options.prompt);
  const recorder = withCassette(inner, { path: file, mode: 'record' });
  await recorder.complete({ messages: messages(['one', 'two']) });
  await recorder.complete({ messages: messages(['three', 'four']) });
  await recorder.save();
  const records = (Object.values(JSON.parse(readFileSync(file, 'utf8')).batches)[0] as { records: Record<string, { item: unknown }> }).records;
  expect(Object.fromEntries(Object.entries(records).map(([k, v]) => [k, v.item]))).toEqual({ one: { label: 'a' }, two: { label: 'b' }, three: { label: 'c' } });
});

it('keys other requests whole and replays them exactly', async () => {
  const inner = scriptedModel(['Paris', 'Rome']);
  const recorder = withCassette(inner, { path: file, mode: 'record' });
  const ask = (content: string): CompletionRequest => ({ messages: [{ role: 'user', content }] });
  expect((await recorder.complete(ask('Capital of France?'))).text).toBe('Paris');
  expect((await recorder.complete(ask('Capital of Italy?'))).text).toBe('Rome');
  await recorder.save();

  const replay = withCassette(offline(), { path: file, mode: 'replay' });
  expect(await replay.complete(ask('Capital of Italy?'))).toEqual({ text: 'Rome', finishReason: 'stop' });
  const miss = await replay.complete(ask('Capital of Spain?')).catch((e: Error) => e);
  expect(miss).toBeInstanceOf(CassetteMissError);
  expect((miss as Error).message).toContain('"Capital of Spain?"');
  expect((miss as Error).message).toContain('matched whole');
});

it('does not record failures: the error passes through and nothing is written for it', async () => {
  const inner = scriptedModel([new ModelCallError('bad request', { kind: 'http', status: 400 }), '[{"index":1,"answer":"ok"}]']);
  const recorder = withCassette(inner, { path: file, mode: 'record' });
  const messages = renderMessages([{ text: 'x', input: 'x' }], resolveOptions({}).prompt);
  await expect(recorder.complete({ messages })).rejects.toMatchObject({ kind: 'http', status: 400 });
  expect(recorder.stats.recorded).toBe(0);
  await recorder.complete({ messages });
  await recorder.save();
  const data = JSON.parse(readFileSync(file, 'utf8'));
  expect(Object.values(data.batches).map((c) => Object.keys((c as { records: object }).records))).toEqual([['x']]);
});

it('records embeddings per text; auto asks the model only for the new texts', async () => {
  const inner = ruleModel(sentimentOf);
  const calls: string[][] = [];
  const spy: Model = { ...inner, embed: (request) => (calls.push(request.inputs), inner.embed(request)) };
  const recorder = withCassette(spy, { path: file, mode: 'record' });
  const first = await embedAll(recorder, ['alpha', 'beta']);
  await recorder.save();
  expect(readFileSync(file, 'utf8')).toMatch(/"alpha": \{\n\s+"usage": \{[^}]+\},\n\s+"vector": \[-?\d/);

  const auto = withCassette(spy, { path: file, mode: 'auto' });
  const second = await embedAll(auto, ['beta', 'gamma', 'alpha']);
  await auto.save();
  expect(calls).toEqual([['alpha', 'beta'], ['gamma']]);
  expect(second.map((r) => r.value)).toEqual([first[1]!.value, (await inner.embed({ inputs: ['gamma'] })).embeddings[0], first[0]!.value]);

  const replay = withCassette(spy, { path: file, mode: 'replay' });
  await expect(replay.embed!({ inputs: ['delta'] })).rejects.toThrow(/no recorded embedding .* "delta"/s);
});

it('stores no header and no API key: recording through openAIModel against the simulator', async () => {
  const sim = await startSimulator();
  try {
    const model = withCassette(openAIModel({ model: 'sim', baseURL: sim.url, apiKey: 'sk-secret-unit-123' }), { path: file, mode: 'record' });
    const messages = renderMessages([{ text: 'Great phone', input: 'Great phone' }], resolveOptions(sentiment).prompt);
    const reply = await model.complete({ messages, headers: { Authorization: 'Bearer sk-secret-header-456', 'X-Api-Key': 'sk-secret-789' } });
    expect(JSON.parse(reply.text)).toEqual([{ index: 1, sentiment: 'positive' }]);
    await model.save();
  } finally {
    await sim.close();
  }
  const text = readFileSync(file, 'utf8');
  expect(text).toContain('Great phone');
  expect(text).not.toMatch(/sk-secret|Bearer|Authorization|X-Api-Key/i);
});

it('honors an aborted signal, and replay mode never writes the file', async () => {
  await record();
  const before = readFileSync(file, 'utf8');
  const replay = withCassette(offline(), { path: file, mode: 'replay' });
  const controller = new AbortController();
  controller.abort();
  const messages = renderMessages([{ text: 'Broke in a day', input: '' }], resolveOptions(sentiment).prompt);
  await expect(replay.complete({ messages, signal: controller.signal })).rejects.toMatchObject({ kind: 'aborted' });
  await replay.complete({ messages });
  await replay.save();
  expect(readFileSync(file, 'utf8')).toBe(before);
});

it('refuses a cassette it cannot read instead of overwriting it', async () => {
  writeFileSync(file.replace('nested/', ''), '{ not json');
  const auto = withCassette(ruleModel(sentimentOf), { path: file.replace('nested/', ''), mode: 'auto' });
  const results = await predictAll(auto, ['x'], sentiment);
  expect(results[0]!.error!.message).toMatch(/is not valid JSON/);
  await expect(auto.save()).rejects.toThrow(/is not valid JSON/);
  expect(readFileSync(file.replace('nested/', ''), 'utf8')).toBe('{ not json');
});

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
  );
}

it('records nothing from an answer whose numbering cannot be trusted, so a lie is never replayed as values', () => {
  const records = [
    { index: 1, text: 'a' },
    { index: 2, text: 'b' },
  ];
  // Shifted one too high, an invented item, a record given two values: nothing is kept.
  expect(itemsByRecord('[{"index":2,"answer":"A"},{"index":3,"answer":"B"}]', records, 'index').size).toBe(0);
  expect(itemsByRecord('[{"index":1,"answer":"A"},{"index":2,"answer":"X"},{"index":2,"answer":"B"}]', records, 'index').size).toBe(0);
  expect(itemsByRecord('[{"index":1,"answer":"A"},{"index":1,"answer":"Z"}]', records, 'index').size).toBe(0);
  // A trusted answer keeps each record's item.
  expect([...itemsByRecord('[{"index":2,"answer":"B"},{"index":1,"answer":"A"}]', records, 'index')]).toEqual([
    [2, { answer: 'B' }],
    [1, { answer: 'A' }],
  ]);
});
