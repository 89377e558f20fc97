/** The fake models, on their own and under the core operator. */
import { ModelCallError, predictAll, type CompletionRequest } from '@mlpredict/core';
import { echoModel, embeddingFor, ruleModel, scriptedModel, sentimentOf } from '../index';
import { batchPrompt, TEXTS } from './support/batch-prompts';

const request = (content: string, extra: Partial<CompletionRequest> = {}): CompletionRequest => ({ messages: [{ role: 'user', content }], ...extra });

describe('ruleModel', () => {
  it('answers each record by its index with fn(text, index), and records the calls', async () => {
    const seen: Array<[string, number]> = [];
    const model = ruleModel((text, index) => {
      seen.push([text, index]);
      return text.length;
    });
    const reply = await model.complete(request(batchPrompt(['ab', 'abcd'], { base: 0, valueField: 'len' })));
    expect(JSON.parse(reply.text)).toEqual([
      { index: 0, len: 2 },
      { index: 1, len: 4 },
    ]);
    expect(reply.finishReason).toBe('stop');
    expect(reply.usage?.completionTokens).toBe(Math.ceil(reply.text.length / 4));
    expect(seen).toEqual([
      ['ab', 0],
      ['abcd', 1],
    ]);
    expect(model.calls).toHaveLength(1);
    expect(model.name).toBe('fake:rule');
  });

  it('follows a JSON-mode response shape, and answers a plain prompt with fn(message, 0)', async () => {
    const model = ruleModel(sentimentOf);
    const wrapped = await model.complete(request(batchPrompt(TEXTS.slice(0, 2)), { responseShape: { type: 'json_object' } }));
    expect(JSON.parse(wrapped.text)).toEqual({ results: [{ index: 1, sentiment: 'positive' }, { index: 2, sentiment: 'negative' }] });
    expect((await model.complete(request('Terrible. It broke.'))).text).toBe('negative');
  });

  it('injects defects like the simulator; serverError throws an http 500 ModelCallError', async () => {
    const fenced = await ruleModel(sentimentOf, { defects: { fence: 1 } }).complete(request(batchPrompt(['Great'])));
    expect(fenced.text).toBe('```json\n[{"index":1,"sentiment":"positive"}]\n```');
    const failing = ruleModel(sentimentOf, { defects: { serverError: 1 } });
    await expect(failing.complete(request(batchPrompt(['Great'])))).rejects.toMatchObject({ name: 'ModelCallError', kind: 'http', status: 500 });
  });

  it('honors the abort signal, before and during its latency', async () => {
    const model = ruleModel(sentimentOf, { latencyMs: 10_000 });
    await expect(model.complete(request('x', { signal: AbortSignal.abort() }))).rejects.toMatchObject({ kind: 'aborted' });
    const controller = new AbortController();
    const pending = model.complete(request('x', { signal: controller.signal }));
    controller.abort();
    await expect(pending).rejects.toBeInstanceOf(ModelCallError);
  });

  it('embeds with the deterministic vectors', async () => {
    const { embeddings } = await ruleModel(sentimentOf).embed({ inputs: ['a', 'b'] });
    expect(embeddings).toEqual([embeddingFor('a'), embeddingFor('b')]);
  });
});

describe('scriptedModel', () => {
  it('plays its steps in order: strings, full responses, errors and functions', async () => {
    const limited = new ModelCallError('slow down', { kind: 'rate_limited', status: 429, retryAfterMs: 10 });
    const model = scriptedModel([
      limited,
      '[{"index": 1, "answer": "a"}]',
      { text: '[{"index": 1, "ans', finishReason: 'length', usage: { promptTokens: 5, completionTokens: 7 } },
      (req, call) => `call ${call}: ${req.messages.at(-1)!.content}`,
    ]);
    expect(model.remaining).toBe(4);
    await expect(model.complete(request('one'))).rejects.toBe(limited);
    expect(await model.complete(request('two'))).toEqual({ text: '[{"index": 1, "answer": "a"}]', finishReason: 'stop' });
    expect(await model.complete(request('three'))).toEqual({ text: '[{"index": 1, "ans', finishReason: 'length', usage: { promptTokens: 5, completionTokens: 7 } });
    expect((await model.complete(request('four'))).text).toBe('call 4: four');
    expect(model.remaining).toBe(0);
    expect(model.calls.map((c) => c.messages[0]!.content)).toEqual(['one', 'two', 'three', 'four']);
  });

  it('throws a clear error when the script runs out', async () => {
    const model = scriptedModel(['only']);
    await model.complete(request('a'));
    await expect(model.complete(request('b'))).rejects.toThrow('scriptedModel: the script ran out: call 2 has no step (the script has 1)');
  });
});

describe('under predictAll', () => {
  it('ruleModel(sentimentOf) gives every record its sentiment', async () => {
    const model = ruleModel(sentimentOf);
    const results = await predictAll<string, string>(model, TEXTS, { valueField: 'sentiment', batchSize: 4 });
    expect(results.map((r) => r.value)).toEqual(TEXTS.map(sentimentOf));
    expect(model.calls).toHaveLength(2);
  });

  it('echoModel answers each input with its own text', async () => {
    const inputs = ['hello', 'with "quotes", commas', 'two\nlines'];
    const results = await predictAll(echoModel(), inputs);
    expect(results.map((r) => r.value)).toEqual(inputs);
  });
});
