import { from, Subject, firstValueFrom, toArray, lastValueFrom, take } from 'rxjs';
import { mlPredict, predictAll, predictIterable, ModelCallError, PredictError, type PredictResult } from '@mlpredict/core';
import { answerModel, labelAll, upper, promptRecords } from './support/answer-model';

const words = (n: number) => Array.from({ length: n }, (_, i) => `word ${i}`);
const fast = { batchTimeoutMs: 0, retry: { strategy: 'fixed' as const, baseDelayMs: 1, maxDelayMs: 1 } };

describe('mlPredict', () => {
  it('answers every record once, in order, batchSize records per request', async () => {
    const model = answerModel(labelAll(upper));
    const results = await predictAll(model, words(45), { ...fast, batchSize: 10 });
    expect(results.map((r) => r.value)).toEqual(words(45).map(upper));
    expect(results.map((r) => r.seq)).toEqual([...Array(45).keys()]);
    expect(model.requests).toHaveLength(5);
    expect(results.every((r) => r.meta.via === 'batch' && r.meta.attempts === 1 && r.meta.repairs === 0)).toBe(true);
  });

  it('sends one request per record with batchSize 1', async () => {
    const model = answerModel(labelAll(upper));
    const results = await predictAll(model, words(4), { ...fast, batchSize: 1 });
    expect(model.requests).toHaveLength(4);
    expect(results.map((r) => r.meta.via)).toEqual(['single', 'single', 'single', 'single']);
  });

  it('renders the default template with 1-based indices, JSON-quoted text and the value field', async () => {
    const model = answerModel(labelAll(upper, 'sentiment'));
    await predictAll(model, ['say "hi"\nthen go'], { ...fast, valueField: 'sentiment' });
    const user = model.requests[0]!.messages[1]!.content;
    expect(user).toContain('For each input below, give its sentiment.');
    expect(user).toContain('Input 1: "say \\"hi\\"\\nthen go"');
    expect(user).toContain('[{"index": <input number>, "sentiment": <answer>}');
  });

  it('renders a custom template with record fields, vars, count and no HTML escaping', async () => {
    const model = answerModel(() => '[{"index": 0, "v": 1}, {"index": 1, "v": 2}]');
    const results = await predictAll(model, [{ id: 7, body: 'a < b & "c"' }, { id: 8, body: 'x' }], {
      ...fast,
      indexBase: 0,
      textField: 'body',
      valueField: 'v',
      vars: { topic: 'math' },
      promptTemplate: '{{topic}} ({{count}}):\n{{#records}}#{{index}} id={{input.id}} {{text}}\n{{/records}}',
      systemPrompt: 'SYS',
    });
    expect(model.requests[0]!.messages).toEqual([
      { role: 'system', content: 'SYS' },
      { role: 'user', content: 'math (2):\n#0 id=7 a < b & "c"\n#1 id=8 x\n' },
    ]);
    expect(results.map((r) => r.value)).toEqual([1, 2]);
  });

  it('emits in input order even when later batches finish first', async () => {
    const model = answerModel(async (records) => {
      // The first batch is the slowest.
      await new Promise((r) => setTimeout(r, records[0]!.text === 'word 0' ? 60 : 5));
      return labelAll(upper)(records, undefined as never, 0) as string;
    });
    const results = await predictAll(model, words(30), { ...fast, batchSize: 5, concurrency: 6 });
    expect(results.map((r) => r.seq)).toEqual([...Array(30).keys()]);
  });

  it('emits as ready with ordered: false', async () => {
    const model = answerModel(async (records) => {
      await new Promise((r) => setTimeout(r, records[0]!.text === 'word 0' ? 80 : 1));
      return labelAll(upper)(records, undefined as never, 0) as string;
    });
    const results = await predictAll(model, words(10), { ...fast, batchSize: 5, concurrency: 2, ordered: false });
    expect(results.map((r) => r.seq)).toEqual([5, 6, 7, 8, 9, 0, 1, 2, 3, 4]);
  });

  it('asks again for missing records in a smaller batch', async () => {
    const model = answerModel((records, _req, call) => {
      const kept = call === 1 ? records.filter((r) => r.index !== 2) : records;
      return JSON.stringify(kept.map((r) => ({ index: r.index, answer: upper(r.text) })));
    });
    const results = await predictAll(model, words(4), fast);
    expect(results.map((r) => r.value)).toEqual(words(4).map(upper));
    expect(model.requests).toHaveLength(2);
    expect(promptRecords(model.requests[1]!).map((r) => r.text)).toEqual(['word 1']);
    expect(results[1]!.meta).toMatchObject({ attempts: 2, repairs: 1, via: 'single' });
    expect(results[0]!.meta).toMatchObject({ attempts: 1, repairs: 0, via: 'batch' });
  });

  it('splits an unreadable batch in halves down to single records', async () => {
    const model = answerModel((records) => (records.length > 1 ? 'Sorry, I cannot do that.' : labelAll(upper)(records, undefined as never, 0)));
    const results = await predictAll(model, words(4), fast);
    expect(results.map((r) => r.value)).toEqual(words(4).map(upper));
    // 4 → (2 → 1, 1) + (2 → 1, 1): 1 + 2 + 4 requests.
    expect(model.requests.map((r) => promptRecords(r).length)).toEqual([4, 2, 1, 1, 2, 1, 1]);
    expect(results.every((r) => r.meta.via === 'single')).toBe(true);
  });

  it('gives a lone unreadable record two more tries, then a parse error', async () => {
    const model = answerModel(() => '');
    const [result] = await predictAll(model, ['x'], { ...fast, circuitBreaker: false });
    expect(result!.error).toMatchObject({ code: 'parse', attempts: 3 });
    expect(result!.value).toBeUndefined();
  });

  it('salvages a truncated answer and asks again for the rest', async () => {
    const model = answerModel((records) => {
      const json = JSON.stringify(records.map((r) => ({ index: r.index, answer: upper(r.text) })));
      return records.length === 4 ? { text: json.slice(0, json.length - 20), finishReason: 'length' } : json;
    });
    const results = await predictAll(model, words(4), fast);
    expect(results.map((r) => r.value)).toEqual(words(4).map(upper));
    expect(model.requests.map((r) => promptRecords(r).length)).toEqual([4, 1]);
  });

  it('with fallback none, leaves missing records as missing errors', async () => {
    // The middle record left out (without index 1, nothing would be taken: see reconcile).
    const model = answerModel((records) => JSON.stringify([{ index: 1, answer: upper(records[0]!.text) }, { index: 3, answer: upper(records[2]!.text) }]));
    const results = await predictAll(model, words(3), { ...fast, fallback: 'none' });
    expect(results.map((r) => r.error?.code ?? r.value)).toEqual(['WORD 0', 'missing', 'WORD 2']);
    expect(model.requests).toHaveLength(1);
  });

  it('opens the circuit breaker so fallback does not storm a failing model', async () => {
    const model = answerModel(() => 'not json');
    const results = await predictAll(model, words(40), { ...fast, batchSize: 20, concurrency: 1, circuitBreaker: { failureThreshold: 3, cooldownMs: 60_000 } });
    expect(results).toHaveLength(40);
    expect(results.every((r) => r.error)).toBe(true);
    const codes = results.map((r) => r.error!.code);
    expect(codes.filter((c) => c !== 'circuit_open' && c !== 'parse')).toEqual([]);
    expect(codes.filter((c) => c === 'circuit_open').length).toBeGreaterThanOrEqual(30);
    // Without the breaker this would be ~40 single calls per batch; with it, a handful.
    expect(model.requests.length).toBeLessThan(10);
  });

  it('turns a bad record into a bad_input error without stopping the stream', async () => {
    const model = answerModel(labelAll(upper));
    const results = await predictAll(model, [{ text: 'a' }, { other: 1 }, { text: 'c' }] as Array<Record<string, unknown>>, { ...fast, textField: 'text' });
    expect(results.map((r) => r.value ?? r.error?.code)).toEqual(['A', 'bad_input', 'C']);
    expect(results[1]!.error!.message).toMatch(/no "text" field/);
  });

  it('refuses a record larger than maxBatchTokens as too_large, batches the rest by tokens', async () => {
    const model = answerModel(labelAll(upper));
    const results = await predictAll(model, ['a'.repeat(40), 'b'.repeat(400), 'c'.repeat(40), 'd'.repeat(40)], { ...fast, maxBatchTokens: 30 });
    expect(results.map((r) => r.error?.code ?? 'ok')).toEqual(['ok', 'too_large', 'ok', 'ok']);
    expect(model.requests.map((r) => promptRecords(r).length)).toEqual([1, 1, 1]);
  });

  it('splits a batch on a context-length error, and a lone record becomes too_large', async () => {
    const model = answerModel((records) => {
      if (records.length > 2 || records.some((r) => r.text === 'huge')) throw new ModelCallError('maximum context length exceeded', { kind: 'context_length', status: 400 });
      return labelAll(upper)(records, undefined as never, 0);
    });
    const results = await predictAll(model, ['a', 'b', 'huge', 'd'], fast);
    expect(results.map((r) => r.value ?? r.error?.code)).toEqual(['A', 'B', 'too_large', 'D']);
  });

  it('stops the run at a 400: every record gets it, marked fatal, without retries', async () => {
    const model = answerModel(() => {
      throw new ModelCallError('bad request', { kind: 'http', status: 400 });
    });
    const results = await predictAll(model, words(3), fast);
    expect(results.map((r) => r.error)).toEqual(Array(3).fill({ code: 'http', status: 400, message: 'HTTP 400: bad request', attempts: 1, fatal: true }));
    expect(model.requests).toHaveLength(1);
  });

  it('retries 500s up to maxRetries, then reports http with attempts', async () => {
    const model = answerModel(() => {
      throw new ModelCallError('boom', { kind: 'http', status: 500 });
    });
    const results = await predictAll(model, ['x'], { ...fast, maxRetries: 2 });
    expect(results[0]!.error).toMatchObject({ code: 'http', status: 500, attempts: 3 });
    expect(model.requests).toHaveLength(3);
  });

  it('recovers from a transient failure through retry', async () => {
    const model = answerModel((records, _r, call) => {
      if (call === 1) throw new ModelCallError('unavailable', { kind: 'http', status: 503 });
      return labelAll(upper)(records, undefined as never, 0);
    });
    const results = await predictAll(model, words(3), fast);
    expect(results.map((r) => r.value)).toEqual(words(3).map(upper));
    expect(results[0]!.meta.attempts).toBe(2);
  });

  it('times out an attempt after requestTimeoutMs and reports timeout', async () => {
    const model = answerModel(
      (_records, request) =>
        new Promise((_resolve, reject) => request.signal!.addEventListener('abort', () => reject(Object.assign(new Error('aborted'), { name: 'AbortError' })))),
    );
    const results = await predictAll(model, ['x'], { ...fast, requestTimeoutMs: 20, maxRetries: 1 });
    expect(results[0]!.error).toMatchObject({ code: 'timeout', attempts: 2 });
  });

  it('with onError: throw, errors the stream with a PredictError', async () => {
    const model = answerModel(() => {
      throw new ModelCallError('nope', { kind: 'http', status: 401 });
    });
    await expect(predictAll(model, ['x'], { ...fast, onError: 'throw' })).rejects.toBeInstanceOf(PredictError);
  });

  it('fails at construction on a bad option, naming it', () => {
    const model = answerModel(labelAll(upper));
    expect(() => mlPredict(model, { concurrency: -1 })).toThrow(/mlPredict: invalid options:\n {2}- "concurrency": expected a value >= 1, got -1/);
  });

  it('uses model defaults under call options', async () => {
    const model = answerModel(labelAll(upper, 'label'), { defaults: { 'response.value.field': 'label', 'batch.size': 2 } });
    const results = await predictAll(model, words(4), fast);
    expect(results.map((r) => r.value)).toEqual(words(4).map(upper));
    expect(model.requests).toHaveLength(2);
  });

  it('reports requests and batches through events', async () => {
    const model = answerModel(labelAll(upper));
    const requests: unknown[] = [];
    const batches: Array<{ records: number; requests: number }> = [];
    await predictAll(model, words(5), { ...fast, batchSize: 3, onRequest: (e) => requests.push(e), onBatch: (e) => batches.push(e) });
    expect(requests).toHaveLength(2);
    expect(batches.map((b) => [b.records, b.requests])).toEqual([
      [3, 1],
      [2, 1],
    ]);
  });

  it('aborts in-flight requests on unsubscribe and sends no more', async () => {
    const aborted: number[] = [];
    const model = answerModel(
      (_records, request, call) =>
        new Promise((_resolve, reject) => request.signal!.addEventListener('abort', () => (aborted.push(call), reject(new Error('aborted'))))),
    );
    const source = new Subject<string>();
    const sub = source.pipe(mlPredict(model, { ...fast, batchSize: 2, concurrency: 2 })).subscribe();
    for (const w of words(10)) source.next(w);
    await new Promise((r) => setTimeout(r, 10));
    expect(model.requests).toHaveLength(2);
    sub.unsubscribe();
    await new Promise((r) => setTimeout(r, 10));
    expect(aborted.sort()).toEqual([1, 2]);
    source.next('late');
    await new Promise((r) => setTimeout(r, 10));
    expect(model.requests).toHaveLength(2);
  });

  it("answers every record as aborted when the user's signal fires", async () => {
    const controller = new AbortController();
    const model = answerModel((_records, request) => new Promise((_resolve, reject) => request.signal!.addEventListener('abort', () => reject(new Error('aborted')))));
    const pending = predictAll(model, words(10), { ...fast, batchSize: 2, concurrency: 2, signal: controller.signal });
    await new Promise((r) => setTimeout(r, 10));
    controller.abort();
    const results = await pending;
    expect(results).toHaveLength(10);
    expect(results.every((r) => r.error?.code === 'aborted')).toBe(true);
  });

  it('flushes a partial batch after batchTimeoutMs on a live stream', async () => {
    const model = answerModel(labelAll(upper));
    const source = new Subject<string>();
    const first = firstValueFrom(source.pipe(mlPredict(model, { batchSize: 10, batchTimeoutMs: 20 })));
    source.next('only');
    const result: PredictResult = await first;
    expect(result.value).toBe('ONLY');
    expect(model.requests).toHaveLength(1);
  });

  it('is cold: each subscription is its own run with seq from 0', async () => {
    const model = answerModel(labelAll(upper));
    const results$ = from(words(3)).pipe(mlPredict(model, fast), toArray());
    const [a, b] = await Promise.all([lastValueFrom(results$), lastValueFrom(results$)]);
    expect(a.map((r) => r.seq)).toEqual([0, 1, 2]);
    expect(b.map((r) => r.seq)).toEqual([0, 1, 2]);
  });
});

describe('predictIterable', () => {
  it('reads the source only while records in flight are under the bound', async () => {
    let read = 0;
    function* source() {
      for (let i = 0; i < 10_000; i++) {
        read++;
        yield `r${i}`;
      }
    }
    const model = answerModel(labelAll(upper));
    const options = { ...fast, batchSize: 5, concurrency: 2, reorderWindow: 10 };
    const seen: string[] = [];
    for await (const r of predictIterable(model, source(), options)) {
      seen.push(r.value as string);
      if (seen.length === 3) {
        await new Promise((res) => setTimeout(res, 30));
        // bound = 2 × 5 + 10 = 20 unread-or-unanswered records, whatever the source holds.
        expect(read).toBeLessThanOrEqual(3 + 20 + 1);
      }
      if (seen.length === 50) break;
    }
    expect(seen.slice(0, 3)).toEqual(['R0', 'R1', 'R2']);
    expect(read).toBeLessThan(100);
  });

  it('yields every result in order from an async iterable', async () => {
    async function* source() {
      for (const w of words(23)) yield w;
    }
    const model = answerModel(labelAll(upper));
    const got: unknown[] = [];
    for await (const r of predictIterable(model, source(), { ...fast, batchSize: 4 })) got.push(r.value);
    expect(got).toEqual(words(23).map(upper));
  });

  it('take() on the operator stops the run', async () => {
    const model = answerModel(labelAll(upper));
    const firstTwo = await lastValueFrom(from(words(100)).pipe(mlPredict(model, { ...fast, batchSize: 10, concurrency: 1 }), take(2), toArray()));
    expect(firstTwo.map((r) => r.value)).toEqual(['WORD 0', 'WORD 1']);
    expect(model.requests.length).toBeLessThanOrEqual(2);
  });
});
