import { Subject, firstValueFrom, from, lastValueFrom, toArray } from 'rxjs';
import { ModelCallError, type Model, type EmbeddingRequest, type EmbeddingResponse } from '@mlpredict/core';
import { embedAll, mlEmbed } from '../operators/ml-embed';
import { filterAll, mlFilter, toVerdict } from '../operators/ml-filter';
import { completeAll, mlComplete } from '../operators/ml-complete';
import { answerModel, promptRecords } from './support/answer-model';
import { resolveOptions } from '../config/options';
import { readBatchAnswer } from '../predict/batch-request';

const fast = { batchTimeoutMs: 0, retry: { strategy: 'fixed' as const, baseDelayMs: 1, maxDelayMs: 1 } };
const texts = (n: number) => Array.from({ length: n }, (_, i) => `text number ${i}`);

/** A deterministic "embedding": what the fake answers for one input. */
const vectorOf = (text: string) => [text.length, [...text].reduce((sum, c) => sum + c.charCodeAt(0), 0), text.charCodeAt(text.length - 1)];

interface EmbedModel extends Model {
  requests: EmbeddingRequest[];
}

function embedModel(answer: (request: EmbeddingRequest, call: number) => EmbeddingResponse | Promise<EmbeddingResponse> = (r) => ({ embeddings: r.inputs.map(vectorOf) })): EmbedModel {
  const requests: EmbeddingRequest[] = [];
  return {
    name: 'test:embed',
    requests,
    complete: () => Promise.reject(new Error('no chat in this test')),
    async embed(request) {
      requests.push(request);
      return answer(request, requests.length);
    },
  };
}

describe('mlEmbed', () => {
  it('embeds 250 inputs in 3 requests at batchSize 100, vectors in input order', async () => {
    const model = embedModel();
    const inputs = texts(250);
    const results = await embedAll(model, inputs, { ...fast, batchSize: 100 });
    expect(model.requests.map((r) => r.inputs.length)).toEqual([100, 100, 50]);
    expect(results.map((r) => r.value)).toEqual(inputs.map(vectorOf));
    expect(results.map((r) => r.seq)).toEqual([...inputs.keys()]);
    expect(results.map((r) => r.input)).toEqual(inputs);
    expect(results[0]!.meta).toMatchObject({ batchId: 0, attempts: 1, via: 'batch', repairs: 0 });
    expect(results[249]!.meta.batchId).toBe(2);
    expect(typeof results[0]!.meta.latencyMs).toBe('number');
  });

  it('splits a batch into requests of at most maxInputsPerRequest', async () => {
    const model = embedModel();
    const results = await embedAll(model, texts(25), { ...fast, batchSize: 25, maxInputsPerRequest: 10 });
    expect(model.requests.map((r) => r.inputs.length)).toEqual([10, 10, 5]);
    expect(results.map((r) => r.value)).toEqual(texts(25).map(vectorOf));
  });

  it('keeps input order when a later request finishes first', async () => {
    const model = embedModel(async (r) => {
      await new Promise((done) => setTimeout(done, r.inputs[0] === 'text number 0' ? 40 : 1));
      return { embeddings: r.inputs.map(vectorOf) };
    });
    const results = await embedAll(model, texts(9), { ...fast, batchSize: 3, concurrency: 3 });
    expect(results.map((r) => r.value)).toEqual(texts(9).map(vectorOf));
  });

  it('retries a 500, then succeeds', async () => {
    const model = embedModel((r, call) => {
      if (call === 1) throw new ModelCallError('unavailable', { kind: 'http', status: 500 });
      return { embeddings: r.inputs.map(vectorOf) };
    });
    const results = await embedAll(model, texts(3), fast);
    expect(results.map((r) => r.value)).toEqual(texts(3).map(vectorOf));
    expect(model.requests).toHaveLength(2);
    expect(results.every((r) => r.meta.attempts === 2)).toBe(true);
  });

  it('stops at a request refused with a 400: each record gets the http error, marked fatal, without retries', async () => {
    const model = embedModel(() => {
      throw new ModelCallError('bad request', { kind: 'http', status: 400 });
    });
    const results = await embedAll(model, texts(3), fast);
    expect(results.map((r) => r.error)).toEqual(Array(3).fill({ code: 'http', status: 400, message: 'HTTP 400: bad request', attempts: 1, fatal: true }));
    expect(results.every((r) => r.value === undefined)).toBe(true);
    expect(model.requests).toHaveLength(1);
  });

  it('reports rate_limited after 429s outlast the retries', async () => {
    const model = embedModel(() => {
      throw new ModelCallError('slow down', { kind: 'rate_limited', status: 429, retryAfterMs: 1 });
    });
    const results = await embedAll(model, texts(2), { ...fast, maxRetries: 1 });
    expect(results.map((r) => r.error?.code)).toEqual(['rate_limited', 'rate_limited']);
    expect(model.requests).toHaveLength(2);
  });

  it('halves a request too long for the model down to the record that does not fit', async () => {
    const model = embedModel((r) => {
      if (r.inputs.includes('huge')) throw new ModelCallError('maximum context length', { kind: 'context_length', status: 400 });
      return { embeddings: r.inputs.map(vectorOf) };
    });
    const results = await embedAll(model, ['a', 'b', 'huge', 'd'], fast);
    expect(results.map((r) => r.error?.code ?? r.value)).toEqual([vectorOf('a'), vectorOf('b'), 'too_large', vectorOf('d')]);
  });

  it('makes a record without text a bad_input error, and a wrong vector count a parse error', async () => {
    const model = embedModel((r) => ({ embeddings: r.inputs.length > 1 ? [[1]] : [vectorOf(r.inputs[0]!)] }));
    const results = await embedAll(model, [{ body: 'x' }, { other: 1 }, { body: '  ' }, { body: 'y' }] as Array<Record<string, unknown>>, { ...fast, textField: 'body' });
    expect(results.map((r) => r.error?.code)).toEqual(['parse', 'bad_input', 'bad_input', 'parse']);
    expect(results[0]!.error!.message).toMatch(/1 vectors for 2 inputs/);
  });

  it('reads text through textField and toText', async () => {
    const model = embedModel();
    await embedAll(model, [{ id: 1, body: 'hello' }], { ...fast, textField: 'body' });
    await embedAll(model, [{ id: 2 }], { ...fast, toText: (r) => `item ${(r as { id: number }).id}` });
    expect(model.requests.map((r) => r.inputs)).toEqual([['hello'], ['item 2']]);
  });

  it('fails at construction for a model without embed, and for a bad option', () => {
    const chatOnly = answerModel(() => '[]');
    expect(() => mlEmbed(chatOnly)).toThrow(/mlEmbed: model "test:answer" has no embed method/);
    expect(() => mlEmbed(embedModel(), { batchSize: 0 })).toThrow(/mlEmbed: invalid options:\n {2}- "batchSize" \(batch\.size\): expected a value >= 1, got 0/);
    expect(() => mlEmbed(embedModel(), { valueField: 'x' } as never)).toThrow(/unknown option "valueField"/);
  });

  it('takes the model defaults it knows and ignores chat-only ones', async () => {
    const base = embedModel();
    const model = { ...base, defaults: { 'batch.size': 2, valueField: 'sentiment' }, embed: (r: EmbeddingRequest) => base.embed!(r) };
    await embedAll(model, texts(5), fast);
    expect(base.requests.map((r) => r.inputs.length)).toEqual([2, 2, 1]);
  });

  it('flushes a partial batch after batchTimeoutMs on a live stream', async () => {
    const model = embedModel();
    const source = new Subject<string>();
    const first = firstValueFrom(source.pipe(mlEmbed(model, { batchSize: 10, batchTimeoutMs: 20 })));
    source.next('only');
    expect((await first).value).toEqual(vectorOf('only'));
    expect(model.requests.map((r) => r.inputs)).toEqual([['only']]);
  });

  it('aborts in-flight requests on unsubscribe', async () => {
    const aborted: number[] = [];
    const model = embedModel(
      (request, call) => new Promise((_resolve, reject) => request.signal!.addEventListener('abort', () => (aborted.push(call), reject(new Error('aborted'))))),
    );
    const source = new Subject<string>();
    const sub = source.pipe(mlEmbed(model, { ...fast, batchSize: 2, concurrency: 2 })).subscribe();
    for (const t of texts(8)) source.next(t);
    await new Promise((r) => setTimeout(r, 10));
    expect(model.requests).toHaveLength(2);
    sub.unsubscribe();
    await new Promise((r) => setTimeout(r, 10));
    expect(aborted.sort()).toEqual([1, 2]);
    expect(model.requests).toHaveLength(2);
  });

  it("answers every record as aborted when the user's signal fires", async () => {
    const controller = new AbortController();
    const model = embedModel((request) => new Promise((_resolve, reject) => request.signal!.addEventListener('abort', () => reject(new Error('aborted')))));
    const pending = embedAll(model, texts(6), { ...fast, batchSize: 2, concurrency: 1, signal: controller.signal });
    await new Promise((r) => setTimeout(r, 10));
    controller.abort();
    const results = await pending;
    expect(results).toHaveLength(6);
    expect(results.map((r) => r.error?.code)).toEqual(Array(6).fill('aborted'));
  });
});

/** Answers `match` per record: true when the text contains "refund", or what `verdict` says. */
const matchModel = (verdict: (text: string) => unknown = (t) => t.includes('refund')) =>
  answerModel((records) => JSON.stringify(records.map((r) => ({ index: r.index, match: verdict(r.text) }))));

const tickets = ['I want a refund', 'Love it', 'Refund? no, just a question', 'where is my refund', 'Great'];

describe('mlFilter', () => {
  it('keeps exactly the matching records, in order, in one batched request', async () => {
    const model = matchModel();
    const results = await filterAll(model, tickets, { ...fast, predicate: 'asks for a refund' });
    expect(results.map((r) => r.input)).toEqual(['I want a refund', 'where is my refund']);
    expect(results.map((r) => [r.seq, r.value])).toEqual([
      [0, true],
      [3, true],
    ]);
    expect(model.requests).toHaveLength(1);
  });

  it('asks with an instruction built from the predicate and the match field', async () => {
    const model = matchModel();
    await filterAll(model, ['x'], { ...fast, predicate: 'asks for a refund' });
    const user = model.requests[0]!.messages.at(-1)!.content;
    expect(user).toContain('decide whether it meets this condition: asks for a refund');
    expect(user).toContain('"match": <answer>');
  });

  it('emits every record with its boolean with emitAll', async () => {
    const results = await filterAll(matchModel(), tickets, { ...fast, predicate: 'asks for a refund', emitAll: true });
    expect(results.map((r) => r.value)).toEqual([true, false, false, true, false]);
  });

  it('coerces "yes"/"no"/"true"/"false" and makes anything else a schema error, emitted', async () => {
    const verdicts: Record<string, unknown> = { a: 'yes', b: 'NO', c: 'true', d: 'False', e: 'maybe', f: 1 };
    const results = await filterAll(matchModel((t) => verdicts[t]), Object.keys(verdicts), { ...fast, predicate: 'p', emitAll: true });
    expect(results.map((r) => r.value ?? r.error!.code)).toEqual([true, false, true, false, 'schema', 'schema']);
    const kept = await filterAll(matchModel((t) => verdicts[t]), Object.keys(verdicts), { ...fast, predicate: 'p' });
    expect(kept.map((r) => r.input)).toEqual(['a', 'c', 'e', 'f']);
    expect(kept[2]!.error!.message).toMatch(/"maybe".*expected true or false/);
    expect([toVerdict(true), toVerdict(' Yes '), toVerdict('n')]).toEqual([true, true, undefined]);
  });

  it('emits an error result for a record whose verdict stays missing', async () => {
    // The model never answers "lost". (An invented index 99 in its place would make the whole answer untrusted.)
    const model = answerModel((records) => JSON.stringify(records.filter((r) => r.text !== 'lost').map((r) => ({ index: r.index, match: true }))));
    const results = await filterAll(model, ['a', 'lost', 'b'], { ...fast, predicate: 'p', circuitBreaker: false });
    expect(results.map((r) => r.value ?? r.error!.code)).toEqual([true, 'missing', true]);
    expect(results[1]!.error!.attempts).toBeGreaterThan(1);
  });

  it('fails at construction without a predicate, or with a valueSchema', () => {
    const model = matchModel();
    expect(() => mlFilter(model, {} as never)).toThrow(/mlFilter: invalid options:\n {2}- "predicate": expected a string/);
    expect(() => mlFilter(model, { predicate: ' ' })).toThrow(/"predicate": expected a non-empty string/);
    expect(() => mlFilter(model, { predicate: 'p', valueSchema: {} } as never)).toThrow(/"valueSchema": mlFilter sets it/);
    expect(() => mlFilter(model, { predicate: 'p', batchSize: 0 })).toThrow(/mlFilter: invalid options:\n {2}- "batchSize"/);
  });

  it('works as an operator on a stream', async () => {
    const results = await lastValueFrom(from(tickets).pipe(mlFilter(matchModel(), { ...fast, predicate: 'asks for a refund', batchSize: 2 }), toArray()));
    expect(results.map((r) => r.seq)).toEqual([0, 3]);
  });
});

describe('mlComplete', () => {
  it('with batchSize 1, sends one plain call per record and takes the whole answer', async () => {
    const model = answerModel((_records, request) => `  Summary of: ${request.messages.at(-1)!.content.split('\n').at(-1)}\nSecond line.\n`);
    const results = await completeAll(model, ['first text', 'second text', 'third text'], { ...fast, batchSize: 1, instruction: 'Summarize.' });
    expect(model.requests).toHaveLength(3);
    expect(results.map((r) => r.value)).toEqual(['Summary of: first text\nSecond line.', 'Summary of: second text\nSecond line.', 'Summary of: third text\nSecond line.']);
    expect(model.requests[0]!.messages.at(-1)!.content).toBe('Summarize.\n\nfirst text');
    expect(results.every((r) => r.meta.via === 'single')).toBe(true);
  });

  it('with batchSize 1 and no instruction, the record is the prompt', async () => {
    const model = answerModel(() => 'a haiku');
    const [result] = await completeAll(model, ['Write a haiku about rain.'], { ...fast, batchSize: 1 });
    expect(model.requests[0]!.messages.at(-1)!.content).toBe('Write a haiku about rain.');
    expect(result!.value).toBe('a haiku');
  });

  it('batches through json when batchSize > 1, a string per record', async () => {
    const model = answerModel((records) => JSON.stringify(records.map((r) => ({ index: r.index, answer: `reply to ${r.text}` }))));
    const results = await completeAll(model, ['a', 'b', 'c'], { ...fast, batchSize: 3 });
    expect(model.requests).toHaveLength(1);
    expect(promptRecords(model.requests[0]!)).toHaveLength(3);
    expect(model.requests[0]!.messages.at(-1)!.content).toContain('Respond to each input below.');
    expect(results.map((r) => r.value)).toEqual(['reply to a', 'reply to b', 'reply to c']);
  });

  it('makes a non-string batched answer a schema error', async () => {
    const model = answerModel((records) => JSON.stringify(records.map((r) => ({ index: r.index, answer: r.text === 'b' ? { nested: 1 } : 'ok' }))));
    const results = await completeAll(model, ['a', 'b'], fast);
    expect(results.map((r) => r.value ?? r.error!.code)).toEqual(['ok', 'schema']);
  });

  it('retries an empty single answer twice, then reports parse', async () => {
    const model = answerModel(() => '   ');
    const [result] = await completeAll(model, ['x'], { ...fast, batchSize: 1, circuitBreaker: false });
    expect(result!.error).toMatchObject({ code: 'parse', attempts: 3 });
  });

  it('with batchSize 1, an answer cut off (finish_reason length) is not a value: asked again, then a parse error saying to raise maxTokens', async () => {
    const model = answerModel(() => ({ text: 'The rain falls on the', finishReason: 'length' }));
    const [result] = await completeAll(model, ['Write a haiku about rain.'], { ...fast, batchSize: 1, maxTokens: 5, circuitBreaker: false });
    expect(result!.ok).toBe(false);
    expect(result!.value).toBeUndefined();
    expect(result!.error).toMatchObject({ code: 'parse', attempts: 3, message: expect.stringMatching(/^the model's answer could not be read \(cut off: finish_reason length; raise maxTokens, now 5\), even alone$/) });
  });

  it('with batchSize 1, a cut-off answer asked again that comes back whole is the value', async () => {
    const model = answerModel((_records, _request, call) => (call === 1 ? { text: 'The rain falls on the', finishReason: 'length' } : 'The rain falls on the roof.'));
    const [result] = await completeAll(model, ['Write a line about rain.'], { ...fast, batchSize: 1, maxTokens: 50 });
    expect(result!.value).toBe('The rain falls on the roof.');
    expect(model.requests).toHaveLength(2);
  });

  it('readBatchAnswer: a lone record\'s unindexed answer that was cut off is no value, in every format that offers one', () => {
    const cases = [
      { responseFormat: 'text' as const, text: 'The rain falls on' },
      { responseFormat: 'json' as const, text: '{"answer": "positive"}' },
      { responseFormat: 'xml' as const, text: '<answer>posi</answer>' },
    ];
    for (const { responseFormat, text } of cases) {
      const parse = resolveOptions({ responseFormat, batchSize: 1 }).parse;
      const whole = readBatchAnswer({ text, finishReason: 'stop' }, 1, parse);
      expect(whole.values.size).toBe(1); // the same text, not cut off, is taken
      const cut = readBatchAnswer({ text, finishReason: 'length' }, 1, parse);
      expect(cut).toMatchObject({ missing: [0], unreadable: true, truncated: true });
      expect(cut.values.size).toBe(0);
    }
  });

  it('refuses a responseFormat, which it picks itself', () => {
    expect(() => mlComplete(answerModel(() => ''), { responseFormat: 'xml' } as never)).toThrow(/mlComplete: invalid options:\n {2}- "responseFormat" \(response\.format\): mlComplete picks it/);
  });
});
