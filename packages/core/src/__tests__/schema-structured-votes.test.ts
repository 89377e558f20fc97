import { z } from 'zod';
import { predictAll, ModelCallError } from '@mlpredict/core';
import { answerModel, labelAll, promptRecords } from './support/answer-model';

const fast = { batchTimeoutMs: 0, retry: { strategy: 'fixed' as const, baseDelayMs: 1, maxDelayMs: 1 } };

describe('valueSchema', () => {
  it('turns out-of-enum answers into schema errors and passes the rest', async () => {
    const model = answerModel(labelAll((t) => (t.startsWith('?') ? 'unsure' : 'positive'), 'sentiment'));
    const results = await predictAll(model, ['good', '?hm', 'fine'], { ...fast, valueField: 'sentiment', valueSchema: z.enum(['positive', 'negative', 'neutral']) });
    expect(results.map((r) => r.value ?? r.error!.code)).toEqual(['positive', 'schema', 'positive']);
    expect(results[1]!.error!.message).toMatch(/value "unsure" does not match valueSchema: .*"positive"/);
  });

  it('returns the parsed value (coercions applied)', async () => {
    const model = answerModel(labelAll((t) => String(t.length)));
    const results = await predictAll(model, ['ab', 'abcd'], { ...fast, valueSchema: z.coerce.number() });
    expect(results.map((r) => r.value)).toEqual([2, 4]);
  });
});

describe('structuredOutput', () => {
  it('sends a JSON schema with the item count fixed to the batch size', async () => {
    const model = answerModel((records) => JSON.stringify({ results: records.map((r) => ({ index: r.index, label: 'yes' })) }));
    const results = await predictAll(model, ['a', 'b', 'c'], { ...fast, valueField: 'label', structuredOutput: 'json_schema', valueSchema: z.enum(['yes', 'no']) });
    expect(results.map((r) => r.value)).toEqual(['yes', 'yes', 'yes']);
    const shape = model.requests[0]!.responseShape as { type: string; strict: boolean; schema: any };
    expect(shape.type).toBe('json_schema');
    expect(shape.strict).toBe(true);
    expect(shape.schema.properties.results).toMatchObject({ minItems: 3, maxItems: 3 });
    expect(shape.schema.properties.results.items.properties.label).toMatchObject({ enum: ['yes', 'no'] });
  });

  it("'auto' falls back to JSON mode, then plain prompts, when the endpoint refuses, and remembers it", async () => {
    const model = answerModel((records, request) => {
      if (request.responseShape?.type === 'json_schema') throw new ModelCallError("Invalid parameter: 'response_format' of type 'json_schema' is not supported", { kind: 'http', status: 400 });
      return labelAll(() => 'ok')(records, request, 0);
    });
    const results = await predictAll(model, ['a', 'b', 'c', 'd'], { ...fast, batchSize: 2, concurrency: 1, structuredOutput: 'auto' });
    expect(results.map((r) => r.value)).toEqual(['ok', 'ok', 'ok', 'ok']);
    expect(model.requests.map((r) => r.responseShape?.type)).toEqual(['json_schema', 'json_object', 'json_object']);
  });
});

describe('votes', () => {
  it("asks each batch k times in rotated orders and keeps the majority", async () => {
    // A position-biased model: whatever sits first is called "first", else the true label.
    const model = answerModel((records) => JSON.stringify(records.map((r, i) => ({ index: r.index, answer: i === 0 ? 'first' : r.text.toUpperCase() }))));
    const results = await predictAll(model, ['a', 'b', 'c', 'd', 'e'], { ...fast, votes: 3 });
    expect(model.requests).toHaveLength(3);
    const orders = model.requests.map((r) => promptRecords(r).map((p) => p.text).join(''));
    expect(new Set(orders).size).toBeGreaterThan(1);
    // Rotations by ⌊r·5/3⌋ = 0, 1, 3 put a, b, d first: each is "first" once and outvoted twice.
    expect(orders).toEqual(['abcde', 'bcdea', 'deabc']);
    expect(results.map((r) => r.value)).toEqual(['A', 'B', 'C', 'D', 'E']);
    expect(results.every((r) => r.meta.attempts === 3)).toBe(true);
  });
});

describe('votes without a majority', () => {
  const warningsOf = async (answer: Parameters<typeof answerModel>[0], votes: number) => {
    const warnings: string[] = [];
    const model = answerModel(answer);
    const results = await predictAll(model, ['a', 'b', 'c', 'd'], { ...fast, votes, batchSize: 4, concurrency: 1, onBatch: (e) => warnings.push(...e.warnings) });
    return { results, warnings, model };
  };

  it('votes: 2 that disagree on two records: the batch event names them, and the first round still answers', async () => {
    const { results, warnings } = await warningsOf((records, request, call) => labelAll((t) => (call > 1 && (t === 'c' || t === 'd') ? 'OTHER' : t.toUpperCase()))(records, request, call), 2);
    expect(results.map((r) => r.value)).toEqual(['A', 'B', 'C', 'D']);
    expect(warnings.filter((w) => /majority/.test(w))).toEqual(['votes: 2 of 4 records had no majority of the 2 rounds (inputs 3, 4); each kept the answer seen first']);
  });

  it('three rounds that all disagree: every record is named', async () => {
    const { warnings } = await warningsOf((records, request, call) => labelAll((t) => `${t}${call}`)(records, request, call), 3);
    expect(warnings.filter((w) => /majority/.test(w))).toEqual(['votes: 4 of 4 records had no majority of the 3 rounds (inputs 1, 2, 3, 4); each kept the answer seen first']);
  });

  it('no warning when each record has a majority (two of three agree)', async () => {
    const { results, warnings } = await warningsOf((records, request, call) => labelAll((t) => (call === 2 ? 'ODD' : t.toUpperCase()))(records, request, call), 3);
    expect(results.map((r) => r.value)).toEqual(['A', 'B', 'C', 'D']);
    expect(warnings.filter((w) => /majority/.test(w))).toEqual([]);
  });
});

describe('votes and errors that cannot heal', () => {
  it('a 401 in the first round stops the run: no further rounds are asked', async () => {
    const model = answerModel(() => {
      throw new ModelCallError('Incorrect API key', { kind: 'http', status: 401 });
    });
    const results = await predictAll(model, ['a', 'b', 'c', 'd'], { ...fast, votes: 3, batchSize: 4, concurrency: 1 });
    expect(model.requests).toHaveLength(1);
    expect(results.every((r) => r.error?.status === 401 && r.error.fatal === true)).toBe(true);
  });

  it('a 401 in a later round stops the run too, even though an earlier round answered', async () => {
    const model = answerModel((records, request, call) => {
      if (call > 1) throw new ModelCallError('Incorrect API key', { kind: 'http', status: 401 });
      return labelAll((t) => t.toUpperCase())(records, request, call);
    });
    const results = await predictAll(model, ['a', 'b', 'c', 'd', 'e', 'f'], { ...fast, votes: 3, batchSize: 3, concurrency: 1 });
    expect(model.requests).toHaveLength(2);
    expect(results.every((r) => r.error?.status === 401 && r.error.fatal === true)).toBe(true);
  });
});

describe('votes on every batch size', () => {
  it('never puts a record in the same position twice, so a one-position bias never wins', async () => {
    for (const n of [3, 4, 5, 6, 7, 9]) {
      for (const votes of [2, 3, 4]) {
        if (n < votes) continue;
        const model = answerModel((records) => JSON.stringify(records.map((r, i) => ({ index: r.index, answer: i === 0 ? 'BIASED' : r.text }))));
        const inputs = Array.from({ length: n }, (_, i) => `r${i}`);
        const results = await predictAll(model, inputs, { ...fast, votes, batchSize: n });
        const firsts = model.requests.map((r) => promptRecords(r)[0]!.text);
        expect(new Set(firsts).size).toBe(votes);
        // Two rounds can't outvote one at votes = 2 (a tie goes to the first round), so only check majorities.
        if (votes >= 3) expect(results.map((r) => r.value)).toEqual(inputs);
      }
    }
  });
});
