/**
 * Splitting a round into jobs at the provider's limits, and reading OpenAI's
 * output and error files back (openai-batches.ts).
 */
import fc from 'fast-check';
import OpenAI from 'openai';
import { splitParts } from '../deferred/split-parts';
import { openAIBatches, readOutputLine } from '../providers/openai-batches';

describe('splitParts', () => {
  it('keeps every line once, in order, each job within both limits and as full as they allow', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 200 }), { maxLength: 300 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 202, max: 5000 }), (sizes, maxRequests, maxBytes) => {
        const parts = splitParts(sizes, { maxRequests, maxBytes });
        // Each part starts where the last ended, and together they cover [0, n).
        let next = 0;
        for (const part of parts) {
          expect(part.first).toBe(next);
          next = part.end;
        }
        expect(next).toBe(sizes.length);
        for (const [i, part] of parts.entries()) {
          expect(part.end).toBeGreaterThan(part.first);
          expect(part.end - part.first).toBeLessThanOrEqual(maxRequests);
          const bytes = sizes.slice(part.first, part.end).reduce((sum, size) => sum + size + 1, 0);
          expect(part.bytes).toBe(bytes);
          expect(bytes).toBeLessThanOrEqual(maxBytes);
          // Full: the next line did not fit.
          const next = sizes[part.end];
          if (i < parts.length - 1 && next !== undefined) expect(part.end - part.first === maxRequests || bytes + next + 1 > maxBytes).toBe(true);
        }
      }),
    );
  });

  it('refuses a line that no job could hold, naming the fix', () => {
    expect(() => splitParts([10, 5000], { maxRequests: 10, maxBytes: 1000 })).toThrow(/request line 1 is 5001 bytes, over the Batch API's 1000 bytes per job; use a smaller batchSize/);
  });
});

describe("OpenAI's batch lines", () => {
  const line = (value: unknown) => JSON.stringify(value);

  it('an answered line becomes the response a live call gets', () => {
    const outcome = readOutputLine(
      line({
        id: 'batch_req_1',
        custom_id: 'batch-3',
        response: { status_code: 200, request_id: 'req_1', body: { choices: [{ message: { content: '[{"index":1}]' }, finish_reason: 'length' }], usage: { prompt_tokens: 12, completion_tokens: 5 } } },
        error: null,
      }),
    );
    expect(outcome).toEqual({ id: 'batch-3', ok: true, response: { text: '[{"index":1}]', finishReason: 'length', usage: { promptTokens: 12, completionTokens: 5 } } });
  });

  it('error lines keep their status and kind; lines never run say why', () => {
    const failed = readOutputLine(line({ custom_id: 'a', response: { status_code: 500, body: { error: { message: 'server error', code: 'server_error' } } }, error: null }));
    expect(failed).toMatchObject({ id: 'a', ok: false, reason: 'error', error: { kind: 'http', status: 500, message: 'server error' } });
    const overflow = readOutputLine(line({ custom_id: 'b', response: { status_code: 400, body: { error: { message: 'too long', code: 'context_length_exceeded' } } }, error: null }));
    expect(overflow).toMatchObject({ ok: false, reason: 'error', error: { kind: 'context_length', status: 400 } });
    const limited = readOutputLine(line({ custom_id: 'c', response: { status_code: 429, body: { error: { message: 'slow down' } } }, error: null }));
    expect(limited).toMatchObject({ ok: false, error: { kind: 'rate_limited' } });
    expect(readOutputLine(line({ custom_id: 'd', response: null, error: { code: 'batch_expired', message: 'expired' } }))).toMatchObject({ ok: false, reason: 'expired' });
    expect(readOutputLine(line({ custom_id: 'e', response: null, error: { code: 'batch_cancelled', message: 'cancelled' } }))).toMatchObject({ ok: false, reason: 'cancelled' });
  });

  it('never throws, and never makes up an answer: any line is read to a well-formed outcome or to nothing', () => {
    const arbitraryLine = fc.oneof(
      fc.string(),
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc
        .record({ custom_id: fc.oneof(fc.string(), fc.integer()), response: fc.oneof(fc.constant(null), fc.record({ status_code: fc.oneof(fc.integer(), fc.string()), body: fc.jsonValue() })), error: fc.oneof(fc.constant(null), fc.jsonValue()) })
        .map((v) => JSON.stringify(v)),
    );
    fc.assert(
      fc.property(arbitraryLine, (text) => {
        const outcome = readOutputLine(text);
        if (outcome === undefined) return;
        expect(typeof outcome.id).toBe('string');
        if (outcome.ok) {
          const parsed = JSON.parse(text);
          expect(parsed.response.status_code).toBe(200);
          expect(typeof outcome.response.text).toBe('string');
        } else expect(['error', 'expired', 'cancelled']).toContain(outcome.reason);
      }),
    );
  });

  it('encodes one request as a /v1/chat/completions line naming the model, with the provider-side shape', () => {
    const api = openAIBatches(new OpenAI({ apiKey: 'unused', baseURL: 'http://127.0.0.1:9' }), 'gpt-4o-mini');
    const encoded = JSON.parse(
      api.encode({
        id: 'batch-0',
        request: { messages: [{ role: 'user', content: 'Input 1: "x"' }], temperature: 0, maxTokens: 50, responseShape: { type: 'json_schema', name: 'batch_answers', schema: { type: 'object' }, strict: false } },
      }),
    );
    expect(encoded).toEqual({
      custom_id: 'batch-0',
      method: 'POST',
      url: '/v1/chat/completions',
      body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Input 1: "x"' }], temperature: 0, max_tokens: 50, response_format: { type: 'json_schema', json_schema: { name: 'batch_answers', schema: { type: 'object' }, strict: false } } },
    });
    expect(api.limits).toEqual({ maxRequests: 50_000, maxBytes: 200_000_000 });
  });
});
