/** The Batch API's readers: the JSONL input file and the multipart upload, as properties. */
import fc from 'fast-check';
import { toFile } from 'openai';
import { readBatchInput } from '../simulator/batch-input';
import { startSimulator } from '../index';
import { clientFor } from './support/batch-prompts';

const ENDPOINT = '/v1/chat/completions';

const requestLine = fc.record({
  custom_id: fc.string({ minLength: 1, maxLength: 12 }),
  body: fc.record({ messages: fc.array(fc.record({ role: fc.constantFrom('user', 'system'), content: fc.string() }), { maxLength: 3 }), temperature: fc.option(fc.integer({ min: 0, max: 2 })) }),
});
const uniqueLines = fc.uniqueArray(requestLine, { minLength: 1, maxLength: 20, selector: (line) => line.custom_id });

/** The lines as JSONL, with blank lines and CRLF endings where `layout` says. */
function fileOf(lines: ReadonlyArray<{ custom_id: string; body: object }>, layout: { crlf: boolean; blanksAfter: number[] }): { text: string; lineNumbers: number[] } {
  const out: string[] = [];
  const lineNumbers: number[] = [];
  lines.forEach((line, i) => {
    lineNumbers.push(out.length + 1);
    out.push(JSON.stringify({ custom_id: line.custom_id, method: 'POST', url: ENDPOINT, body: { model: 'm', ...line.body } }));
    for (let b = 0; b < (layout.blanksAfter[i] ?? 0); b++) out.push('');
  });
  return { text: out.join(layout.crlf ? '\r\n' : '\n'), lineNumbers };
}

const layout = fc.record({ crlf: fc.boolean(), blanksAfter: fc.array(fc.nat(2), { maxLength: 20 }) });

it('reads back every request of a well-formed file, in order, whatever the blank lines and line endings', () => {
  fc.assert(
    fc.property(uniqueLines, layout, (lines, shape) => {
      const input = readBatchInput(Buffer.from(fileOf(lines, shape).text), ENDPOINT, 50_000);
      expect(input).toEqual({ ok: true, model: 'm', lines: lines.map((line) => ({ customId: line.custom_id, body: { model: 'm', ...line.body } })) });
    }),
  );
});

it('reports a line that is not JSON by its line number, and fails the file', () => {
  fc.assert(
    fc.property(uniqueLines, layout, fc.nat(), fc.string({ minLength: 1 }).filter((s) => !s.includes('\n') && s.trim() !== '' && !isJson(s)), (lines, shape, pick, garbage) => {
      const { text, lineNumbers } = fileOf(lines, shape);
      const bad = lineNumbers[pick % lineNumbers.length]!;
      const rows = text.split(shape.crlf ? '\r\n' : '\n');
      rows[bad - 1] = garbage;
      const input = readBatchInput(Buffer.from(rows.join(shape.crlf ? '\r\n' : '\n')), ENDPOINT, 50_000);
      expect(input.ok).toBe(false);
      expect(!input.ok && input.errors).toEqual([{ code: 'invalid_json_line', line: bad, param: null, message: expect.any(String) }]);
    }),
  );
});

it('counts requests, not lines, against the limit', () => {
  fc.assert(
    fc.property(uniqueLines, layout, (lines, shape) => {
      const file = Buffer.from(fileOf(lines, shape).text);
      expect(readBatchInput(file, ENDPOINT, lines.length).ok).toBe(true);
      const over = readBatchInput(file, ENDPOINT, lines.length - 1);
      expect(!over.ok && over.errors.map((e) => e.code)).toEqual(['too_many_tasks']);
    }),
  );
});

it('an upload comes back byte for byte, whatever the bytes (multipart boundaries, CRLFs and binary included)', async () => {
  const sim = await startSimulator();
  try {
    const client = clientFor(sim.url);
    const tricky = fc.constantFrom('\r\n', '--', '\r\n--formdata-undici-', 'Content-Disposition: form-data; name="purpose"\r\n\r\nbatch', '\u0000', 'é😀');
    const content = fc.array(fc.oneof(fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes)), tricky.map((s) => Buffer.from(s))), { maxLength: 20 }).map((parts) => Buffer.concat(parts));
    await fc.assert(
      fc.asyncProperty(content, async (bytes) => {
        const file = await client.files.create({ file: await toFile(bytes, 'blob.bin'), purpose: 'user_data' });
        expect(file.bytes).toBe(bytes.length);
        expect(Buffer.from(await (await client.files.content(file.id)).arrayBuffer())).toEqual(bytes);
      }),
      { numRuns: 40 },
    );
  } finally {
    await sim.close();
  }
});

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
