/** Embeddings through the real openai SDK: deterministic, ordered, limited. */
import OpenAI from 'openai';
import { embeddingFor, startSimulator, type Simulator } from '../index';
import { clientFor } from './support/batch-prompts';

let sim: Simulator;
let client: OpenAI;
beforeAll(async () => {
  sim = await startSimulator({ maxEmbeddingInputs: 4 });
  client = clientFor(sim.url);
});
afterAll(async () => {
  await sim.close();
});

const norm = (v: number[]) => Math.hypot(...v);

it('the same text gets the same unit vector, different texts different ones', () => {
  const a = embeddingFor('hello');
  expect(a).toHaveLength(8);
  expect(norm(a)).toBeCloseTo(1, 10);
  expect(embeddingFor('hello')).toEqual(a);
  expect(embeddingFor('hello!')).not.toEqual(a);
  expect(embeddingFor('hello', 20)).toHaveLength(20);
});

it('answers one vector per input, in input order, through the default (base64) encoding', async () => {
  const inputs = ['red', 'green', 'blue'];
  const result = await client.embeddings.create({ model: 'emb', input: inputs });
  expect(result.object).toBe('list');
  expect(result.data.map((d) => d.index)).toEqual([0, 1, 2]);
  result.data.forEach((d, i) => {
    expect(d.embedding).toHaveLength(8);
    const expected = embeddingFor(inputs[i]!);
    d.embedding.forEach((x, k) => expect(x).toBeCloseTo(expected[k]!, 6)); // float32 on the wire
  });
  expect(result.usage.prompt_tokens).toBe(4); // ceil(3/4) + ceil(5/4) + ceil(4/4)
});

it('answers plain floats when asked, and honors dimensions', async () => {
  const result = await client.embeddings.create({ model: 'emb', input: 'red', encoding_format: 'float', dimensions: 12 });
  expect(result.data[0]!.embedding).toEqual(embeddingFor('red', 12));
  const again = await client.embeddings.create({ model: 'emb', input: ['blue', 'red'], encoding_format: 'float', dimensions: 12 });
  expect(again.data[1]!.embedding).toEqual(result.data[0]!.embedding);
});

it('refuses more inputs than maxEmbeddingInputs with a 400', async () => {
  const error = await client.embeddings.create({ model: 'emb', input: ['a', 'b', 'c', 'd', 'e'] }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(OpenAI.BadRequestError);
  expect((error as Error).message).toMatch(/at most 4/);
  expect(sim.stats.embeddingRequests).toBeGreaterThanOrEqual(4);
  expect(sim.stats.byStatus[400]).toBe(1);
});
