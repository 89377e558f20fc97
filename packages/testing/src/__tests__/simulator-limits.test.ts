/** Rate limits, maxInFlight and faults, through the real openai SDK. */
import OpenAI from 'openai';
import { startSimulator, type Simulator } from '../index';
import { ask, batchPrompt, clientFor, eventually, TEXTS } from './support/batch-prompts';

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

type ApiError = InstanceType<typeof OpenAI.APIError>;
const failure = (promise: Promise<unknown>) => promise.then(() => undefined, (e: unknown) => e);

it('a request limit answers 429 with retry hints, does not count refusals, and frees a slot when retry-after-ms says', async () => {
  sim = await startSimulator({ rateLimit: { requests: 2, windowMs: 1500 } });
  const client = clientFor(sim.url);
  const first = await ask(client, batchPrompt(TEXTS)).withResponse();
  expect(first.response.headers.get('x-ratelimit-limit-requests')).toBe('2');
  expect(first.response.headers.get('x-ratelimit-remaining-requests')).toBe('1');
  expect(first.response.headers.get('x-ratelimit-reset-requests')).toMatch(/^(1(\.\d+)?s|\d+ms)$/);
  await ask(client, 'hi');

  const refused = (await failure(ask(client, 'hi'))) as ApiError;
  expect(refused).toBeInstanceOf(OpenAI.RateLimitError);
  expect(refused.status).toBe(429);
  expect(refused.code).toBe('rate_limit_exceeded');
  const waitMs = Number(refused.headers?.get('retry-after-ms'));
  expect(waitMs).toBeGreaterThan(0);
  expect(waitMs).toBeLessThanOrEqual(1500);
  expect(refused.headers?.get('retry-after')).toBe(String(Math.ceil(waitMs / 1000)));
  expect(refused.headers?.get('x-ratelimit-remaining-requests')).toBe('0');
  expect(refused.headers?.get('x-request-id')).toMatch(/^req_/);

  // Refusals leave no trace in the window: another one waits no longer.
  const again = (await failure(ask(client, 'hi'))) as ApiError;
  expect(Number(again.headers?.get('retry-after-ms'))).toBeLessThanOrEqual(waitMs);
  expect(sim.stats.rateLimited).toBe(2);
  expect(sim.stats.byStatus).toEqual({ 200: 2, 429: 2 });

  await new Promise((r) => setTimeout(r, Number(again.headers?.get('retry-after-ms')) + 20));
  await expect(ask(client, 'hi')).resolves.toBeDefined();
  expect(sim.stats.byStatus[200]).toBe(3);
});

it('a token limit counts the prompt estimate plus max_tokens, and refuses a request that can never fit', async () => {
  sim = await startSimulator({ rateLimit: { tokens: 100, windowMs: 10_000 } });
  const client = clientFor(sim.url);
  const prompt = 'x'.repeat(160); // 40 tokens
  const ok = await ask(client, prompt, { max_tokens: 20 }).withResponse();
  expect(ok.response.headers.get('x-ratelimit-limit-tokens')).toBe('100');
  expect(ok.response.headers.get('x-ratelimit-remaining-tokens')).toBe('40');
  const over = (await failure(ask(client, prompt, { max_tokens: 20 }))) as ApiError;
  expect(over.status).toBe(429);
  expect(Number(over.headers?.get('retry-after-ms'))).toBeGreaterThan(0);
  expect(over.headers?.get('x-ratelimit-reset-tokens')).toMatch(/s$/);
  const tooLarge = (await failure(ask(client, 'x'.repeat(800)))) as ApiError;
  expect(tooLarge.status).toBe(429);
  expect(tooLarge.message).toMatch(/too large/i);
  expect(tooLarge.headers?.get('retry-after-ms')).toBeNull();
  expect(sim.stats.rateLimited).toBe(2);
});

it('maxInFlight refuses what is over it with 429 and retry-after-ms, and never lets more in', async () => {
  sim = await startSimulator({ maxInFlight: 2, latencyMs: 300 });
  const client = clientFor(sim.url);
  const outcomes = await Promise.all(Array.from({ length: 5 }, () => ask(client, 'hi').then(() => 200, (e: ApiError) => e)));
  const refused = outcomes.filter((o): o is ApiError => o !== 200);
  expect(outcomes.filter((o) => o === 200)).toHaveLength(2);
  expect(refused).toHaveLength(3);
  for (const error of refused) {
    expect(error.status).toBe(429);
    expect(error.headers?.get('retry-after-ms')).toBe('50');
  }
  expect(sim.stats.peakInFlight).toBe(2);
  expect(sim.stats.rateLimited).toBe(3);
  expect(sim.stats.inFlight).toBe(0);
});

it('a hang holds the request until the client aborts, counted in stats.aborted; peakInFlight counts hangs', async () => {
  sim = await startSimulator({ faults: { hang: 1 } });
  const client = clientFor(sim.url);
  const controller = new AbortController();
  const pending = Array.from({ length: 3 }, () => failure(client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }, { signal: controller.signal })));
  await eventually(() => sim!.stats.inFlight === 3, 'three hanging requests');
  expect(sim.stats.peakInFlight).toBe(3);
  controller.abort();
  for (const error of await Promise.all(pending)) expect(error).toBeInstanceOf(OpenAI.APIUserAbortError);
  await eventually(() => sim!.stats.aborted === 3 && sim!.stats.inFlight === 0, 'the server to see the aborts');
  expect(sim.stats.faults).toEqual({ hang: 3 });
  expect(sim.stats.byStatus).toEqual({});
});

it('close() ends hanging requests at once and resolves', async () => {
  sim = await startSimulator({ faults: { hang: 1 } });
  const client = clientFor(sim.url);
  const pending = failure(ask(client, 'hi'));
  await eventually(() => sim!.stats.inFlight === 1, 'the hanging request');
  const started = Date.now();
  await sim.close();
  expect(Date.now() - started).toBeLessThan(2000);
  expect(await pending).toBeInstanceOf(OpenAI.APIConnectionError);
  expect(sim.stats.inFlight).toBe(0);
  expect(sim.stats.aborted).toBe(0); // the server hung up, not the client
});

it('close() also ends a long latency wait, with an idle keep-alive socket open', async () => {
  sim = await startSimulator({ latencyMs: 60_000 });
  const client = clientFor(sim.url);
  await client.models.list(); // leaves an idle keep-alive connection
  const pending = failure(ask(client, 'hi'));
  await eventually(() => sim!.stats.inFlight === 1, 'the slow request');
  const started = Date.now();
  await sim.close();
  expect(Date.now() - started).toBeLessThan(2000);
  expect(await pending).toBeInstanceOf(OpenAI.APIConnectionError);
});

it('reset drops the connection: the SDK sees a connection error', async () => {
  sim = await startSimulator({ faults: { reset: 1 } });
  const error = await failure(ask(clientFor(sim.url), 'hi'));
  expect(error).toBeInstanceOf(OpenAI.APIConnectionError);
  expect(sim.stats.faults).toEqual({ reset: 1 });
  expect(sim.stats.aborted).toBe(0);
  await eventually(() => sim!.stats.inFlight === 0, 'the reset request to leave');
});

it('serverError, unavailable and rateLimit faults answer 500, 503 and 429 (with retry-after-ms)', async () => {
  sim = await startSimulator({ faults: { serverError: 1 } });
  const client = clientFor(sim.url);
  expect(((await failure(ask(client, 'hi'))) as ApiError).status).toBe(500);
  sim.configure({ faults: { unavailable: 1 } });
  expect(((await failure(ask(client, 'hi'))) as ApiError).status).toBe(503);
  sim.configure({ faults: { rateLimit: 1, retryAfterMs: 250 } });
  const limited = (await failure(ask(client, 'hi'))) as ApiError;
  expect(limited.status).toBe(429);
  expect(limited.headers?.get('retry-after-ms')).toBe('250');
  expect(sim.stats.byStatus).toEqual({ 500: 1, 503: 1, 429: 1 });
  expect(sim.stats.faults).toEqual({ serverError: 1, unavailable: 1, rateLimit: 1 });
  expect(sim.stats.rateLimited).toBe(1);
});

it('slow adds slowMs to the answer', async () => {
  sim = await startSimulator({ faults: { slow: 1, slowMs: 400 } });
  const started = Date.now();
  const reply = await ask(clientFor(sim.url), batchPrompt(TEXTS));
  expect(Date.now() - started).toBeGreaterThanOrEqual(350);
  expect(JSON.parse(reply.choices[0]!.message.content!)).toHaveLength(TEXTS.length);
  expect(sim.stats.faults).toEqual({ slow: 1 });
});

it('a latency range delays answers by at least its min, concurrently', async () => {
  sim = await startSimulator({ latencyMs: [100, 150] });
  const client = clientFor(sim.url);
  const started = Date.now();
  await Promise.all(Array.from({ length: 4 }, () => ask(client, 'hi')));
  expect(Date.now() - started).toBeGreaterThanOrEqual(95);
  expect(sim.stats.peakInFlight).toBe(4);
});
