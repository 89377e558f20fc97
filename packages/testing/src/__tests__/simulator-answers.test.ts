/** The simulator's answers, through the real openai SDK. */
import OpenAI from 'openai';
import { sentimentOf, startSimulator, type Simulator } from '../index';
import { ask, batchPrompt, clientFor, TEXTS } from './support/batch-prompts';

let sim: Simulator;
let client: OpenAI;
beforeEach(async () => {
  sim = await startSimulator();
  client = clientFor(sim.url);
});
afterEach(async () => {
  await sim.close();
});

const expected = (base = 1, valueField = 'sentiment', indexField = 'index') =>
  TEXTS.map((text, i) => ({ [indexField]: i + base, [valueField]: sentimentOf(text) }));

it('listens on 127.0.0.1 and its url ends in /v1', () => {
  expect(sim.url).toBe(`http://127.0.0.1:${sim.port}/v1`);
  expect(sim.port).toBeGreaterThan(0);
});

it('answers a batch prompt by index, in input order, with the prompt field names', async () => {
  const reply = await ask(client, batchPrompt(TEXTS));
  expect(reply.object).toBe('chat.completion');
  expect(reply.model).toBe('sim-model');
  expect(reply.choices[0]!.finish_reason).toBe('stop');
  expect(JSON.parse(reply.choices[0]!.message.content!)).toEqual(expected());
  expect(expected().map((a) => a.sentiment)).toEqual(['positive', 'negative', 'neutral', 'positive', 'negative', 'neutral']);
});

it('uses the indices the prompt used (from 0, or any start) and its field names', async () => {
  const zero = await ask(client, batchPrompt(TEXTS, { base: 0, indexField: 'id', valueField: 'label' }));
  expect(JSON.parse(zero.choices[0]!.message.content!)).toEqual(expected(0, 'label', 'id'));
  const seven = await ask(client, batchPrompt(TEXTS, { base: 7 }));
  expect(JSON.parse(seven.choices[0]!.message.content!)).toEqual(expected(7));
});

it("defaults to index/answer and reads the proposal's several inputs on one line", async () => {
  const reply = await ask(client, 'Classify: Input 1: "Great phone" Input 2: "It broke" Input 3: "It is blue"');
  expect(JSON.parse(reply.choices[0]!.message.content!)).toEqual([
    { index: 1, answer: 'positive' },
    { index: 2, answer: 'negative' },
    { index: 3, answer: 'neutral' },
  ]);
});

it('wraps the array as {"results": [...]} in JSON mode and follows an object-rooted json_schema', async () => {
  const jsonMode = await ask(client, batchPrompt(TEXTS), { response_format: { type: 'json_object' } });
  expect(JSON.parse(jsonMode.choices[0]!.message.content!)).toEqual({ results: expected() });

  const schema = {
    type: 'object',
    properties: { answers: { type: 'array', items: { type: 'object', properties: { index: { type: 'integer' }, sentiment: { type: 'string' } } } } },
  };
  const structured = await ask(client, batchPrompt(TEXTS), { response_format: { type: 'json_schema', json_schema: { name: 'batch', schema } } });
  expect(JSON.parse(structured.choices[0]!.message.content!)).toEqual({ answers: expected() });

  const arraySchema = { type: 'array', items: schema.properties.answers.items };
  const bare = await ask(client, batchPrompt(TEXTS), { response_format: { type: 'json_schema', json_schema: { name: 'batch', schema: arraySchema } } });
  expect(JSON.parse(bare.choices[0]!.message.content!)).toEqual(expected());
});

it('answers a prompt with no Input lines as one plain label of the whole user message', async () => {
  const reply = await client.chat.completions.create({
    model: 'm',
    messages: [
      { role: 'system', content: 'Answer with one word.' },
      { role: 'user', content: 'Classify the sentiment as positive, negative or neutral.\n\nReview: Terrible, it broke on day one' },
    ],
  });
  expect(reply.choices[0]!.message.content).toBe('negative');
});

it('reports usage as ceil(chars / 4) and counts it in stats', async () => {
  const prompt = batchPrompt(TEXTS);
  const reply = await client.chat.completions.create({
    model: 'm',
    messages: [
      { role: 'system', content: 'Reply with JSON.' },
      { role: 'user', content: prompt },
    ],
  });
  const content = reply.choices[0]!.message.content!;
  const promptTokens = Math.ceil(('Reply with JSON.'.length + 1 + prompt.length) / 4);
  expect(reply.usage).toEqual({ prompt_tokens: promptTokens, completion_tokens: Math.ceil(content.length / 4), total_tokens: promptTokens + Math.ceil(content.length / 4) });
  expect(sim.stats.promptTokens).toBe(promptTokens);
  expect(sim.stats.completionTokens).toBe(Math.ceil(content.length / 4));
});

it('counts requests, records and statuses', async () => {
  await ask(client, batchPrompt(TEXTS));
  await ask(client, batchPrompt(TEXTS.slice(0, 2)));
  await client.models.list();
  expect(sim.stats).toMatchObject({ requests: 3, chatRequests: 2, recordsSeen: 8, byStatus: { 200: 3 }, inFlight: 0, peakInFlight: 1 });
  sim.resetStats();
  expect(sim.stats).toMatchObject({ requests: 0, chatRequests: 0, recordsSeen: 0, byStatus: {}, peakInFlight: 0 });
});

it('uses a custom label function', async () => {
  sim.configure({ label: (text) => text.length });
  const reply = await ask(client, batchPrompt(['ab', 'abcd']));
  expect(JSON.parse(reply.choices[0]!.message.content!)).toEqual([
    { index: 1, sentiment: 2 },
    { index: 2, sentiment: 4 },
  ]);
});

it('lists one model and sends x-request-id on every response', async () => {
  const models = await client.models.list();
  expect(models.data.map((m) => m.id)).toEqual(['mlpredict-sim']);
  const { response } = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }).withResponse();
  expect(response.headers.get('x-request-id')).toMatch(/^req_/);
  const raw = await fetch(`${sim.url}/nowhere`);
  expect(raw.headers.get('x-request-id')).toMatch(/^req_/);
});

it("errors come in OpenAI's shape with the right status", async () => {
  const missing = await fetch(`${sim.url}/nowhere`);
  expect(missing.status).toBe(404);
  expect(await missing.json()).toEqual({ error: expect.objectContaining({ message: expect.stringContaining('/v1/nowhere'), type: 'invalid_request_error', code: 'unknown_url' }) });

  const badJson = await fetch(`${sim.url}/chat/completions`, { method: 'POST', body: '{not json', headers: { 'content-type': 'application/json' } });
  expect(badJson.status).toBe(400);
  expect(((await badJson.json()) as { error: { type: string } }).error.type).toBe('invalid_request_error');

  const error = await client.chat.completions.create({ model: 'm', messages: [] }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(OpenAI.BadRequestError);
  expect((error as InstanceType<typeof OpenAI.BadRequestError>).status).toBe(400);
  expect(sim.stats.byStatus).toEqual({ 404: 1, 400: 2 });
});

it('requires the API key when one is configured', async () => {
  await sim.close();
  sim = await startSimulator({ apiKey: 'sekret' });
  const wrong = await clientFor(sim.url).models.list().catch((e: unknown) => e);
  expect(wrong).toBeInstanceOf(OpenAI.AuthenticationError);
  const right = new OpenAI({ baseURL: sim.url, apiKey: 'sekret', maxRetries: 0 });
  expect((await right.models.list()).data).toHaveLength(1);
});

it('rejects bad options with the option named', async () => {
  await expect(startSimulator({ defects: { fences: 1 } as never })).rejects.toThrow(/unknown defect "fences"/);
  await expect(startSimulator({ faults: { hang: 2 } })).rejects.toThrow(/faults\.hang must be a probability/);
  await expect(startSimulator({ latencyMs: [50, 10] })).rejects.toThrow(/min > max/);
  await expect(startSimulator({ rateLimit: { windowMs: 1000 } })).rejects.toThrow(/rateLimit needs requests, tokens or both/);
  expect(() => sim.configure({ maxInFlight: 0 })).toThrow(/maxInFlight must be an integer ≥ 1/);
});
