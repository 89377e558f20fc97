/**
 * The profiles self-tuning is tested against: latency per token, a context
 * window, and an accuracy that falls with batch size and position.
 */
import OpenAI from 'openai';
import { openAIModel, ModelCallError } from '@mlpredict/core';
import { embeddingFor, expectedAccuracy, recordAccuracy, sentimentOf, startSimulator, type AccuracyCurve, type Simulator } from '../index';
import { ask, batchPrompt, clientFor, TEXTS } from './support/batch-prompts';

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

const failure = (promise: Promise<unknown>) => promise.then(() => undefined, (e: unknown) => e as InstanceType<typeof OpenAI.APIError>);

describe('latencyPerTokenMs', () => {
  it('adds a delay per prompt and per completion token, reported in openai-processing-ms and actually waited', async () => {
    sim = await startSimulator({ latencyMs: 20, latencyPerTokenMs: { completion: 1, prompt: 0.25 } });
    const client = clientFor(sim.url);
    for (const texts of [TEXTS.slice(0, 1), TEXTS]) {
      const started = performance.now();
      const { data, response } = await ask(client, batchPrompt(texts)).withResponse();
      const elapsed = performance.now() - started;
      const { prompt_tokens: prompt, completion_tokens: completion } = data.usage!;
      expect(Number(response.headers.get('openai-processing-ms'))).toBe(Math.round(20 + completion * 1 + prompt * 0.25));
      // The one wall-clock check, and only a lower bound: a timer never fires
      // early (beyond Node's 1 ms rounding), however loaded the machine.
      expect(elapsed).toBeGreaterThanOrEqual(20 + completion + prompt * 0.25 - 2);
    }
  });

  it('a token-bound profile: the delay grows with the answer, 2 ms per completion token over 100 ms', async () => {
    sim = await startSimulator({ latencyMs: 100, latencyPerTokenMs: { completion: 2 } });
    const client = clientFor(sim.url);
    const small = await ask(client, batchPrompt(TEXTS.slice(0, 1))).withResponse();
    const large = await ask(client, batchPrompt([...TEXTS, ...TEXTS])).withResponse();
    const ms = (r: typeof small) => Number(r.response.headers.get('openai-processing-ms'));
    expect(ms(small)).toBe(100 + 2 * small.data.usage!.completion_tokens);
    expect(ms(large) - ms(small)).toBe(2 * (large.data.usage!.completion_tokens - small.data.usage!.completion_tokens));
    expect(large.data.usage!.completion_tokens).toBeGreaterThan(small.data.usage!.completion_tokens);
  });
});

describe('contextTokens', () => {
  it("refuses a request over the window with OpenAI's 400 context_length_exceeded, before it uses rate-limit room", async () => {
    sim = await startSimulator({ contextTokens: 100, rateLimit: { requests: 1, windowMs: 60_000 } });
    const client = clientFor(sim.url);
    const prompt = 'x'.repeat(360); // 90 tokens

    const withBudget = await failure(ask(client, prompt, { max_tokens: 20 }));
    expect(withBudget).toBeInstanceOf(OpenAI.BadRequestError);
    expect(withBudget).toMatchObject({ status: 400, code: 'context_length_exceeded', param: 'messages', type: 'invalid_request_error' });
    expect(withBudget?.error).toEqual({
      message: "This model's maximum context length is 100 tokens. However, you requested 110 tokens (90 in the messages, 20 in the completion). Please reduce the length of the messages or completion.",
      type: 'invalid_request_error',
      param: 'messages',
      code: 'context_length_exceeded',
    });
    const noBudget = await failure(ask(client, 'x'.repeat(404)));
    expect(noBudget?.error).toMatchObject({
      code: 'context_length_exceeded',
      message: "This model's maximum context length is 100 tokens. However, your messages resulted in 101 tokens. Please reduce the length of the messages.",
    });

    // Exactly the window fits, and it is the first request the rate limit counts.
    await expect(ask(client, prompt, { max_tokens: 10 }).withResponse()).resolves.toMatchObject({ response: expect.anything() });
    expect(sim.stats).toMatchObject({ contextExceeded: 2, rateLimited: 0, byStatus: { 400: 2, 200: 1 } });
  });

  it("is read by mlpredict's openAIModel as a context_length error", async () => {
    sim = await startSimulator({ contextTokens: 50 });
    const model = openAIModel({ model: 'sim-model', baseURL: sim.url, apiKey: 'test' });
    const error = await model.complete({ messages: [{ role: 'user', content: 'x'.repeat(200) }], maxTokens: 10 }).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(ModelCallError);
    expect(error).toMatchObject({ kind: 'context_length' });
  });
});

describe('x-ratelimit-* headers', () => {
  it('come on successes too (chat and embeddings), so a client can learn its quota before any 429', async () => {
    sim = await startSimulator({ rateLimit: { requests: 10, tokens: 1000, windowMs: 60_000 } });
    const client = clientFor(sim.url);
    const chat = await ask(client, 'x'.repeat(40), { max_tokens: 10 }).withResponse();
    const embedded = await client.embeddings.create({ model: 'emb', input: 'x'.repeat(40) }).withResponse();
    const headers = (response: Response) => Object.fromEntries([...response.headers].filter(([name]) => name.startsWith('x-ratelimit-')));
    expect(headers(chat.response)).toEqual({
      'x-ratelimit-limit-requests': '10',
      'x-ratelimit-remaining-requests': '9',
      'x-ratelimit-reset-requests': expect.stringMatching(/^\d+(\.\d+)?(ms|s)$|^1m0s$/),
      'x-ratelimit-limit-tokens': '1000',
      'x-ratelimit-remaining-tokens': String(1000 - 10 - 10),
      'x-ratelimit-reset-tokens': expect.stringMatching(/^\d+(\.\d+)?(ms|s)$|^1m0s$/),
    });
    expect(headers(embedded.response)).toMatchObject({ 'x-ratelimit-remaining-requests': '8', 'x-ratelimit-remaining-tokens': String(1000 - 20 - 10) });
  });
});

describe('accuracy', () => {
  const records = (count: number) => Array.from({ length: count }, (_, i) => `${TEXTS[i % TEXTS.length]} (review ${i})`);

  /** Sends `texts` in prompts of `size` (8 at a time); for each record, whether its answer was right, with its position. */
  async function answerAll(client: OpenAI, texts: string[], size: number): Promise<Array<{ right: boolean; position: number }>> {
    const prompts: string[][] = [];
    for (let at = 0; at < texts.length; at += size) prompts.push(texts.slice(at, at + size));
    const marks: Array<{ right: boolean; position: number }> = [];
    let next = 0;
    const worker = async () => {
      while (next < prompts.length) {
        const prompt = prompts[next++]!;
        const reply = await ask(client, batchPrompt(prompt));
        const answers = JSON.parse(reply.choices[0]!.message.content!) as Array<{ index: number; sentiment: string }>;
        expect(answers.map((a) => a.index)).toEqual(prompt.map((_, i) => i + 1));
        answers.forEach((a, position) => marks.push({ right: a.sentiment === sentimentOf(prompt[position]!), position }));
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    return marks;
  }

  /** Four standard deviations of the share of successes of independent draws with these probabilities. */
  function tolerance(probabilities: number[]): number {
    return (4 * Math.sqrt(probabilities.reduce((sum, p) => sum + p * (1 - p), 0))) / probabilities.length;
  }

  /** Each record's accuracy when `count` records go out in prompts of `size`. */
  function accuracies(curve: AccuracyCurve, count: number, size: number): number[] {
    return Array.from({ length: count }, (_, i) => {
      const promptSize = Math.min(size, count - Math.floor(i / size) * size);
      return recordAccuracy(curve, promptSize, i % size);
    });
  }

  it('answers as right as the curve says, per batch size, over many records', async () => {
    const curve = { atBatchSize1: 0.95, perRecord: 0.005, perPosition: 0.004, floor: 0.5 };
    sim = await startSimulator({ seed: 11, accuracy: curve });
    const client = clientFor(sim.url);
    const texts = records(600);
    let wrong = 0;
    const observed: Record<number, number> = {};
    for (const size of [1, 5, 20, 50]) {
      const marks = await answerAll(client, texts, size);
      const right = marks.filter((m) => m.right).length;
      wrong += marks.length - right;
      observed[size] = right / marks.length;
      const expected = expectedAccuracy(curve, size, texts.length);
      expect(Math.abs(observed[size] - expected)).toBeLessThanOrEqual(tolerance(accuracies(curve, texts.length, size)));
    }
    // The curve's own gap (0.95 at 1, ≈ 0.61 at 50) is far wider than the tolerances.
    expect(observed[1]).toBeGreaterThan(observed[50]! + 0.2);
    expect(sim.stats.wrongAnswers).toBe(wrong);
  });

  it('answers later positions worse when perPosition says so', async () => {
    const curve = { perPosition: 0.02 };
    sim = await startSimulator({ seed: 3, accuracy: curve });
    const marks = await answerAll(clientFor(sim.url), records(1000), 50);
    for (const [from, to] of [[0, 10], [20, 30], [40, 50]] as const) {
      const bucket = marks.filter((m) => m.position >= from && m.position < to);
      const expected = bucket.map((m) => recordAccuracy(curve, 50, m.position));
      const share = bucket.filter((m) => m.right).length / bucket.length;
      expect(Math.abs(share - expected.reduce((a, b) => a + b, 0) / expected.length)).toBeLessThanOrEqual(tolerance(expected));
    }
  });

  it('is seeded, wrongs plain prompts too, and leaves embeddings alone', async () => {
    const answersWith = async (seed: number) => {
      const server = await startSimulator({ seed, accuracy: { atBatchSize1: 0.9, perRecord: 0.02 } });
      try {
        return (await ask(clientFor(server.url), batchPrompt(records(30)))).choices[0]!.message.content;
      } finally {
        await server.close();
      }
    };
    expect(await answersWith(4)).toBe(await answersWith(4));

    sim = await startSimulator({ accuracy: { atBatchSize1: 0 } });
    const client = clientFor(sim.url);
    expect((await ask(client, 'Great phone')).choices[0]!.message.content).toBe('negative');
    const embedded = await client.embeddings.create({ model: 'emb', input: ['Great phone'], encoding_format: 'float' });
    expect(embedded.data[0]!.embedding).toEqual(embeddingFor('Great phone'));
  });
});

describe('expectedAccuracy', () => {
  const curve = { atBatchSize1: 0.98, perRecord: 0.004, perPosition: 0.002, floor: 0.5 };

  it('averages the curve over a full prompt, or over the prompts a sample is cut into', () => {
    expect(expectedAccuracy(curve, 1)).toBeCloseTo(0.98, 12);
    expect(expectedAccuracy(curve, 20)).toBeCloseTo(0.98 - 0.004 * 19 - 0.002 * 9.5, 12);
    // 50 records at 20: two prompts of 20 and one of 10.
    expect(expectedAccuracy(curve, 20, 50)).toBeCloseTo((40 * expectedAccuracy(curve, 20) + 10 * expectedAccuracy(curve, 10)) / 50, 12);
    expect(expectedAccuracy({ atBatchSize1: 0.9, perRecord: 0.1, floor: 0.5 }, 10)).toBe(0.5);
    expect(recordAccuracy(curve, 10, 3)).toBeCloseTo(0.938, 12);
    expect(expectedAccuracy({}, 50)).toBe(1);
  });

  it('refuses sizes that are not whole and positive', () => {
    expect(() => expectedAccuracy(curve, 0)).toThrow(RangeError);
    expect(() => expectedAccuracy(curve, 2.5)).toThrow(/batchSize must be an integer/);
    expect(() => expectedAccuracy(curve, 5, 0)).toThrow(/recordCount must be an integer/);
  });
});

describe('options', () => {
  it.each([
    [{ accuracy: { perRecrd: 0.1 } }, /unknown accuracy setting "perRecrd"/],
    [{ accuracy: { atBatchSize1: 1.5 } }, /accuracy\.atBatchSize1 must be a number from 0 to 1/],
    [{ accuracy: { atBatchSize1: 0.6, floor: 0.7 } }, /accuracy\.floor \(0\.7\) is above accuracy\.atBatchSize1/],
    [{ latencyPerTokenMs: { completion: -1 } }, /latencyPerTokenMs\.completion must be a number ≥ 0/],
    [{ latencyPerTokenMs: { output: 1 } }, /unknown latencyPerTokenMs setting "output"/],
    [{ contextTokens: 0 }, /contextTokens must be an integer ≥ 1/],
    [{ batch: { failedLineRate: 2 } }, /batch\.failedLineRate must be a number from 0 to 1/],
    [{ batch: { completionDelay: 5 } }, /unknown batch setting "completionDelay"/],
    [{ batch: { expireAfterMs: 0 } }, /batch\.expireAfterMs must be a number > 0/],
    [{ batch: { outputOrder: 'sorted' } }, /batch\.outputOrder must be 'shuffled' or 'input'/],
    [{ batch: { clock: 5 } }, /batch\.clock must be a function/],
  ])('%j is a TypeError naming the option', async (options, message) => {
    await expect(startSimulator(options as never)).rejects.toThrow(TypeError);
    await expect(startSimulator(options as never)).rejects.toThrow(message);
  });

  it('configure() sets and lifts the new settings like the others', async () => {
    sim = await startSimulator();
    const client = clientFor(sim.url);
    const prompt = 'x'.repeat(400);
    await expect(ask(client, prompt)).resolves.toBeDefined();
    sim.configure({ contextTokens: 50 });
    expect(await failure(ask(client, prompt))).toMatchObject({ status: 400, code: 'context_length_exceeded' });
    sim.configure({ contextTokens: undefined });
    await expect(ask(client, prompt)).resolves.toBeDefined();
    expect(() => sim!.configure({ batch: { failedLineRate: -1 } })).toThrow(/batch\.failedLineRate/);
  });
});
