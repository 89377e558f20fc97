/**
 * Issue 11, points 3–5 and 13.6's openAIModel keys: what servers other than
 * OpenAI send with a 200, read through the real `openai` SDK over real HTTP.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { isRetryable } from '@mlpredict/core/internals';
import { ModelCallError, openAIModel, predictAll, RunStats } from '@mlpredict/core';

/** What the server sends, by the first path segment of the base URL. */
const SCENARIOS: Record<string, (res: ServerResponse, call: number) => void> = {
  errorObject: (res) => json(res, { error: { message: 'Upstream provider overloaded', type: 'upstream_error', code: 502 } }),
  errorOnce: (res, call) => (call === 1 ? json(res, { error: { message: 'try later', type: 'server_error' } }) : json(res, completion(answerFor(res)))),
  htmlLabelled: (res) => send(res, 'text/html; charset=utf-8', JSON.stringify(completion('[]'))),
  htmlPage: (res) => send(res, 'text/html', '<html><body>Please sign in</body></html>'),
  emptyWithLength: (res) => send(res, 'application/json', ''),
  emptyChunked: (res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked', 'x-request-id': 'req_test' });
    res.end();
  },
  notJson: (res) => send(res, 'application/json', '{"choices": [ oops'),
  noChoices: (res) => json(res, { id: 'x', object: 'chat.completion' }),
  contentParts: (res) => json(res, completion([{ type: 'text', text: '[{"index": 1, ' }, { type: 'text', text: '"answer": "A"}]' }])),
  imageOnly: (res) => json(res, completion([{ type: 'image_url', image_url: { url: 'data:' } }])),
  contentNull: (res) => json(res, completion(null)),
  garbageUsage: (res) => json(res, { ...completion('[{"index": 1, "answer": "A"}]'), usage: { prompt_tokens: 'lots', completion_tokens: NaN, total_tokens: '?' } }),
  halfUsage: (res) => json(res, { ...completion('[{"index": 1, "answer": "A"}]'), usage: { prompt_tokens: 12, completion_tokens: 'a few' } }),
};

let server: Server;
let base: string;
const calls = new Map<string, number>();
const bodies = new WeakMap<ServerResponse, string>();

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const scenario = req.url!.split('/')[1]!;
      calls.set(scenario, (calls.get(scenario) ?? 0) + 1);
      bodies.set(res, Buffer.concat(chunks).toString('utf8'));
      SCENARIOS[scenario]!(res, calls.get(scenario)!);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function send(res: ServerResponse, type: string, body: string) {
  res.writeHead(200, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'x-request-id': 'req_test' });
  res.end(body);
}
function json(res: ServerResponse, body: unknown) {
  send(res, 'application/json', JSON.stringify(body));
}
function completion(content: unknown) {
  return { id: 'c', object: 'chat.completion', created: 1, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }], usage: { prompt_tokens: 5, completion_tokens: 3 } };
}
/** Every record of the request, answered with its text upper-cased. */
function answerFor(res: ServerResponse): string {
  const body = JSON.parse(bodies.get(res)!) as { messages: Array<{ content: string }> };
  const records = [...body.messages.at(-1)!.content.matchAll(/^Input (\d+): (.*)$/gm)];
  return JSON.stringify(records.map((m) => ({ index: Number(m[1]), answer: (JSON.parse(m[2]!) as string).toUpperCase() })));
}

const modelFor = (scenario: string) => openAIModel({ model: 'm', baseURL: `${base}/${scenario}/v1`, apiKey: 'k' });
const ask = (scenario: string) => modelFor(scenario).complete({ messages: [{ role: 'user', content: 'Input 1: "a"' }] });
const failure = (scenario: string) => ask(scenario).then(() => undefined, (e: unknown) => e as ModelCallError);
const fast = { batchTimeoutMs: 0, retry: { strategy: 'fixed' as const, baseDelayMs: 1, maxDelayMs: 1 }, circuitBreaker: false as const };

describe('what the openai SDK itself does with these 200s (why the model reads the raw response)', () => {
  const sdk = (scenario: string) => new OpenAI({ baseURL: `${base}/${scenario}/v1`, apiKey: 'k', maxRetries: 0 }).chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] });

  it('hands back an error object as if it were a completion, with no choices', async () => {
    const data = await sdk('errorObject');
    expect(data.choices).toBeUndefined();
    expect((data as unknown as { error: unknown }).error).toMatchObject({ message: 'Upstream provider overloaded' });
  });

  it('hands back JSON labelled text/html as a string, an empty body as undefined, and throws a bare SyntaxError for an empty chunked one', async () => {
    expect(typeof (await sdk('htmlLabelled'))).toBe('string');
    expect(await sdk('emptyWithLength')).toBeUndefined();
    // (By name: jest's sandbox has its own SyntaxError class.)
    await expect(sdk('emptyChunked')).rejects.toMatchObject({ name: 'SyntaxError', message: expect.stringMatching(/Unexpected end of JSON input/) });
  });
});

describe('openAIModel: a 200 that is not a usable completion is a ModelCallError saying what the server sent (11.4)', () => {
  it.each([
    ['errorObject', /the server sent an error instead of an answer: "Upstream provider overloaded" \(upstream_error, 502\)/],
    ['htmlLabelled', /a JSON body labelled "text\/html; charset=utf-8", not an application\/json answer/],
    ['htmlPage', /a body of content-type "text\/html", not an application\/json answer: <html><body>Please sign in/],
    ['emptyWithLength', /the server sent an empty body \(content-type application\/json\) instead of an answer/],
    ['emptyChunked', /the server sent an empty body/],
    ['notJson', /the server's answer is not valid JSON: \{"choices": \[ oops/],
    ['noChoices', /the server's answer has no choices/],
    ['imageOnly', /no readable text: message.content is an array of 1 parts with no text part/],
  ])('%s', async (scenario, message) => {
    const error = await failure(scenario);
    expect(error).toBeInstanceOf(ModelCallError);
    expect(error).toMatchObject({ kind: 'http', status: 200, requestId: 'req_test' });
    expect(error!.message).toMatch(message);
    // Retried like a 5xx: a gateway's hiccup may pass.
    expect(isRetryable(error)).toBe(true);
  });

  it('retries an error object and then reads the answer', async () => {
    const results = await predictAll(modelFor('errorOnce'), ['a', 'b'], fast);
    expect(results.map((r) => r.value)).toEqual(['A', 'B']);
    expect(calls.get('errorOnce')).toBe(2);
  });

  it('a server that always sends an error object leaves coded errors naming it, and the run resolves', async () => {
    const results = await predictAll(modelFor('errorObject'), ['a', 'b', 'c'], { ...fast, maxRetries: 1 });
    for (const r of results) {
      expect(r.error).toMatchObject({ code: 'http', status: 200 });
      expect(r.error!.message).toMatch(/^HTTP 200: the server sent an error instead of an answer: "Upstream provider overloaded"/);
    }
  });
});

describe('openAIModel: content as parts (11.3)', () => {
  it('joins the text parts', async () => {
    expect((await ask('contentParts')).text).toBe('[{"index": 1, "answer": "A"}]');
  });

  it('takes no content (a refusal, a tool call) as an empty answer', async () => {
    expect((await ask('contentNull')).text).toBe('');
  });

  it('through predictAll: parts are read, and content with no text is a coded error, never a rejected run', async () => {
    expect((await predictAll(modelFor('contentParts'), ['a'], fast)).map((r) => r.value)).toEqual(['A']);
    const [result] = await predictAll(modelFor('imageOnly'), ['a'], { ...fast, maxRetries: 0 });
    expect(result!.error).toMatchObject({ code: 'http', status: 200 });
  });
});

describe('openAIModel: token counts that are not numbers are ignored (11.5)', () => {
  it('drops usage whose counts are not numbers, and zeroes the one count that is not', async () => {
    expect((await ask('garbageUsage')).usage).toBeUndefined();
    expect((await ask('halfUsage')).usage).toEqual({ promptTokens: 12, completionTokens: 0 });
  });

  it('keeps meta.usage and the stats finite', async () => {
    const stats = new RunStats();
    const results = await predictAll(modelFor('halfUsage'), ['a'], { ...fast, stats });
    expect(results[0]!.meta.usage).toEqual({ promptTokens: 12, completionTokens: 0 });
    expect(stats.snapshot()).toMatchObject({ promptTokens: 12, completionTokens: 0 });
  });
});

describe('openAIModel: unknown option names fail at construction (13.6)', () => {
  it('names the key and suggests the right one', () => {
    expect(() => openAIModel({ model: 'm', baseUrl: 'http://x/v1', apiKey: 'k' } as never)).toThrow(TypeError);
    expect(() => openAIModel({ model: 'm', baseUrl: 'http://x/v1', apiKey: 'k' } as never)).toThrow(/unknown option "baseUrl" \(did you mean "baseURL"\?\)/);
    expect(() => openAIModel({ model: 'm', apikey: 'k', baseURL: 'http://x/v1' } as never)).toThrow(/unknown option "apikey" \(did you mean "apiKey"\?\)/);
    expect(() => openAIModel({ model: 'm', baseURL: 'http://x/v1', temprature: 1 } as never)).toThrow(/unknown option "temprature"/);
  });

  it('accepts every documented option', () => {
    const model = openAIModel({
      model: 'm',
      embeddingModel: 'e',
      baseURL: 'http://x/v1',
      apiKey: 'k',
      organization: 'o',
      project: 'p',
      defaultHeaders: {},
      defaultQuery: {},
      defaults: { batchSize: 5 },
      name: 'n',
      maxConcurrency: 2,
      requestsPerMinute: 60,
      tokensPerMinute: 1000,
    });
    expect(model.name).toBe('n');
  });
});
