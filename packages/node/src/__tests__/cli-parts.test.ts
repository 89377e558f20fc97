/**
 * The CLI's parts on their own: readers and counters (property tests against
 * the real parser), the input sniffer, row digests, the sink's checkpoints, the
 * run loop with a producer double (fatal errors, stops), signals on fake timers,
 * the JSON Schema wrapper, labels and prices.
 */
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { stringify } from 'csv-stringify/sync';
import fc from 'fast-check';
import { parseOptions, resolveOptions } from '@mlpredict/core/internals';
import { countRecords } from '../cli/count-records';
import { formatUsd } from '../cli/format-summary';
import { sniffFormat } from '../cli/input-format';
import { rowDigest, type InputRow } from '../cli/input-row';
import { Interrupts } from '../cli/interrupts';
import { jsonSchemaValue } from '../cli/json-schema-value';
import { labelOptions } from '../cli/labels';
import { rowFormatter } from '../cli/output-format';
import type { OutputRow } from '../cli/predict-rows';
import { readRows } from '../cli/read-rows';
import { freshStart } from '../cli/resume-run';
import { RowSink, type Checkpoint } from '../cli/row-sink';
import { exitStatus, reportLines } from '../cli/run-report';
import { runPrice } from '../cli/run-price';
import { RunTally } from '../cli/run-tally';
import { writeRows, type RowProducer } from '../cli/write-rows';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mlpredict-parts-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

let fileNo = 0;
const tempFile = async (content: string | Buffer, ext: string) => {
  const path = join(dir, `f${fileNo++}.${ext}`);
  await writeFile(path, content);
  return path;
};

async function readAll(format: 'csv' | 'jsonl' | 'lines', path: string): Promise<InputRow[]> {
  const rows: InputRow[] = [];
  for await (const row of readRows(format, createReadStream(path)).rows) rows.push(row);
  return rows;
}

const tricky = fc.array(fc.constantFrom('a', 'b', ' ', ',', '"', '\n', '\r', '\r\n', '\t', 'é', '😀'), { maxLength: 10 }).map((p) => p.join(''));

describe('countRecords', () => {
  it('counts the records the CSV reader yields, header and line breaks inside quotes not counted', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(tricky, tricky), { maxLength: 15 }), fc.constantFrom('unix', 'windows', 'mac'), fc.boolean(), async (cells, delimiter, quoted) => {
        // Quoted or not: unquoted, a line break that is not the file's delimiter is text.
        const csv = stringify(cells.map(([a, b], i) => [String(i), a, b]), { header: true, columns: ['id', 'a', 'b'], record_delimiter: delimiter as 'unix', quoted });
        const path = await tempFile(csv, 'csv');
        expect(await countRecords(path, 'csv')).toBe((await readAll('csv', path)).length);
      }),
      { numRuns: 60 },
    );
  });

  it('counts unreadable CSV records too, as the reader yields a row for each', async () => {
    const path = await tempFile('a,b\n1,2\n3,4,5\n\n   \n\r\n"x\ny",6\n7, "8"\n', 'csv');
    expect(await readAll('csv', path)).toHaveLength(6);
    expect(await countRecords(path, 'csv')).toBe(6);
  });

  it('counts the lines the JSONL and lines readers yield', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(fc.constantFrom('', '  ', '\t'), fc.string({ minLength: 1 })).map((s) => s.replace(/[\r\n]/g, '')), { maxLength: 20 }), async (lines) => {
        const path = await tempFile(lines.join('\n'), 'txt');
        const count = await countRecords(path, 'lines');
        expect(count).toBe((await readAll('lines', path)).length);
        expect(count).toBe((await readAll('jsonl', path)).length);
      }),
      { numRuns: 40 },
    );
  });
});

describe('sniffFormat', () => {
  it('replays every byte it read, and calls JSON Lines exactly what starts with {, [ or "', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'grapheme', maxLength: 60 }), fc.integer({ min: 1, max: 7 }), async (text, chunkSize) => {
        const bytes = Buffer.from(text);
        const chunks = Array.from({ length: Math.ceil(bytes.length / chunkSize) }, (_, i) => bytes.subarray(i * chunkSize, (i + 1) * chunkSize));
        const { format, input } = await sniffFormat(Readable.from(chunks, { objectMode: false }));
        const replayed: Buffer[] = [];
        for await (const chunk of input) replayed.push(Buffer.from(chunk));
        expect(Buffer.concat(replayed).equals(bytes)).toBe(true);
        const first = /[^\s\uFEFF]/.exec(text)?.[0];
        expect(format).toBe(first === undefined || '{["'.includes(first) ? 'jsonl' : 'lines');
      }),
      { numRuns: 100 },
    );
  });

  it('destroying the replayed stream destroys the source', async () => {
    const source = new Readable({ read() {} });
    source.push('plain text\n');
    const { format, input } = await sniffFormat(source);
    expect(format).toBe('lines');
    input.resume();
    await new Promise((r) => input.once('data', r));
    input.destroy();
    await new Promise((r) => source.once('close', r));
    expect(source.destroyed).toBe(true);
  });
});

describe('rowDigest', () => {
  it('is equal exactly when the records are equal as JSON, whatever their line; an unreadable line never equals a record', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), fc.nat(), (a, b, line) => {
        const same = rowDigest({ line: 1, record: a }).equals(rowDigest({ line: line + 1, record: b }));
        expect(same).toBe(JSON.stringify(a) === JSON.stringify(b));
      }),
    );
    expect(rowDigest({ line: 1, raw: '"x"', problem: 'p' }).equals(rowDigest({ line: 1, record: 'x' }))).toBe(false);
  });
});

describe('RowSink', () => {
  it('checkpoints only bytes that reached the file: their count and hash match the file, the footer left out', async () => {
    const path = join(dir, 'sink.json');
    const stream = createWriteStream(path);
    const checkpoints: Checkpoint[] = [];
    const sink = new RowSink(stream, { formatter: rowFormatter({ format: 'json', valueName: 'v', merge: false, warn: () => undefined }), start: freshStart(), checkpointMs: 0, onCheckpoint: (c) => checkpoints.push(c) });
    await sink.begin();
    for (let i = 0; i < 50; i++) await sink.write({ input: i, value: `v${i}` }, rowDigest({ line: i + 1, record: i }));
    const last = await sink.finish();
    await new Promise((r) => stream.end(r));
    const file = await readFile(path);
    expect(JSON.parse(file.toString())).toHaveLength(50);
    expect(checkpoints.length).toBeGreaterThan(10);
    for (const c of [...checkpoints, last]) {
      expect(createHash('sha256').update(file.subarray(0, c.bytes)).digest('hex')).toBe(c.outputSha256);
      const inputs = createHash('sha256');
      for (let i = 0; i < c.rows; i++) inputs.update(rowDigest({ line: 1, record: i }));
      expect(inputs.digest('hex')).toBe(c.inputSha256);
    }
    expect(last).toMatchObject({ rows: 50, bytes: file.length - '\n]\n'.length });
  });
});

describe('writeRows with a producer double', () => {
  const rowsOf = (n: number) => readRows('jsonl', Readable.from([Array.from({ length: n }, (_, i) => JSON.stringify({ i })).join('\n')]));

  function parts(signals = new EventEmitter()) {
    const written: string[] = [];
    const stream = new (require('node:stream').Writable)({
      write(chunk: Buffer, _e: string, cb: () => void) {
        written.push(chunk.toString());
        cb();
      },
    });
    const sink = new RowSink(stream, { formatter: rowFormatter({ format: 'jsonl', valueName: 'value', merge: false, warn: () => undefined }), start: freshStart() });
    const interrupts = new Interrupts({ signals, graceMs: 60_000 });
    return { written, sink, interrupts, signals, tally: new RunTally(), progress: { update: () => undefined, stop: () => undefined } };
  }

  it('stops at the first fatal row at once: earlier rows written, nothing after it, the producer aborted, one line on stderr, exit 1', async () => {
    const p = parts();
    let signal: AbortSignal | undefined;
    const produce: RowProducer = async function* (rows, s) {
      signal = s;
      let n = 0;
      for await (const row of rows) {
        const input = (row as { record: unknown }).record;
        if (++n <= 2) yield { input, value: n };
        else yield { input, error: { code: 'http', message: '401 Incorrect API key provided:\nsk-…', attempts: 1, fatal: true } };
      }
      // A producer still busy after the fatal row: writeRows must not wait for it.
      await new Promise(() => undefined);
    };
    const reader = rowsOf(10);
    const outcome = await writeRows({ rows: reader.rows, releaseInput: () => undefined, produce, ...p });
    p.interrupts.dispose();
    expect(outcome).toEqual({ kind: 'fatal', error: expect.objectContaining({ code: 'http', fatal: true }) });
    expect(p.written.join('')).toBe('{"input":{"i":0},"value":1}\n{"input":{"i":1},"value":2}\n');
    expect(p.sink.rows).toBe(2);
    expect(signal?.aborted).toBe(true);

    const report = reportLines(outcome, p.tally, { resumable: true });
    expect(report.split('\n')[0]).toBe('mlpredict: stopped: http: 401 Incorrect API key provided: sk-… (2 rows written; once that is fixed, rerun with --resume)');
    expect(report.match(/stopped:/g)).toHaveLength(1);
    // To stdout: no --resume to offer, and the sentence still reads.
    expect(reportLines(outcome, p.tally, { resumable: false }).split('\n')[0]).toBe(
      'mlpredict: stopped: http: 401 Incorrect API key provided: sk-… (2 rows written; stdout cannot be resumed: once that is fixed, run again (with --output FILE to be able to resume))',
    );
    expect(exitStatus(outcome, p.tally, { failOnError: false })).toBe(1);
  });

  it('a first signal stops reading but writes every row already fed; the digests stay matched to their rows', async () => {
    const p = parts();
    const produce: RowProducer = async function* (rows) {
      let n = 0;
      for await (const row of rows) {
        if (++n === 5) p.signals.emit('SIGINT');
        await new Promise((r) => setImmediate(r));
        yield { input: (row as { record: unknown }).record, value: n };
      }
    };
    const outcome = await writeRows({ rows: rowsOf(1000).rows, releaseInput: () => undefined, produce, ...p });
    p.interrupts.dispose();
    expect(outcome).toEqual({ kind: 'interrupted', aborted: false });
    const rows = p.written.map((line) => JSON.parse(line));
    expect(rows.length).toBeGreaterThanOrEqual(5);
    expect(rows.length).toBeLessThan(1000);
    expect(rows).toEqual(rows.map((_, i) => ({ input: { i }, value: i + 1 })));
    const inputs = createHash('sha256');
    for (let i = 0; i < rows.length; i++) inputs.update(rowDigest({ line: 1, record: { i } }));
    expect(p.sink.checkpoint().inputSha256).toBe(inputs.digest('hex'));
    expect(exitStatus(outcome, p.tally, { failOnError: false, signal: 'SIGINT' })).toBe(130);
  });

  it('a producer failure ends the run as failed, with the rows before it written', async () => {
    const p = parts();
    const produce: RowProducer = async function* (rows) {
      for await (const row of rows) {
        if ((row as { record: { i: number } }).record.i === 3) throw new Error('the endpoint went away');
        yield { input: (row as { record: unknown }).record, value: 'ok' } as OutputRow;
      }
    };
    const outcome = await writeRows({ rows: rowsOf(10).rows, releaseInput: () => undefined, produce, ...p });
    p.interrupts.dispose();
    expect(outcome).toEqual({ kind: 'failed', error: new Error('the endpoint went away') });
    expect(p.written).toHaveLength(3);
  });
});

describe('Interrupts', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('the first signal stops reading; the second, or the end of the grace period, aborts; dispose stops listening', async () => {
    const signals = new EventEmitter();
    const told: string[] = [];
    const graceful = new Interrupts({ signals, graceMs: 1000, onStop: (s) => told.push(s) });
    let stopped = false;
    void graceful.stopped.then(() => (stopped = true));
    signals.emit('SIGTERM');
    await Promise.resolve();
    expect([stopped, graceful.aborted.aborted, graceful.received, told]).toEqual([true, false, 'SIGTERM', ['SIGTERM']]);
    jest.advanceTimersByTime(999);
    expect(graceful.aborted.aborted).toBe(false);
    jest.advanceTimersByTime(1);
    expect(graceful.aborted.aborted).toBe(true);
    graceful.dispose();

    const twice = new Interrupts({ signals, graceMs: 1000 });
    signals.emit('SIGINT');
    signals.emit('SIGINT');
    expect([twice.received, twice.aborted.aborted]).toEqual(['SIGINT', true]);
    twice.dispose();
    expect(signals.listenerCount('SIGINT') + signals.listenerCount('SIGTERM')).toBe(0);
  });

  it('an abort signal aborts at once, as a SIGINT', () => {
    const controller = new AbortController();
    const interrupts = new Interrupts({ abortSignal: controller.signal, graceMs: 1000 });
    controller.abort();
    expect([interrupts.received, interrupts.aborted.aborted]).toEqual(['SIGINT', true]);
    interrupts.dispose();
  });
});

describe('jsonSchemaValue', () => {
  it('answers as a Standard Schema, with readable paths', () => {
    const value = jsonSchemaValue({ type: 'object', properties: { tags: { type: 'array', items: { type: 'string' } }, 'a/b': { type: 'integer' } }, required: ['tags'] });
    const good = { tags: ['x'], 'a/b': 2 };
    expect(value['~standard'].validate(good)).toEqual({ value: good });
    const bad = { tags: ['x', 3], 'a/b': 1.5 };
    const issues = [
      { message: 'must be string', path: ['tags', 1] },
      { message: 'must be integer', path: ['a/b'] },
    ];
    expect(value['~standard'].validate(bad)).toEqual({ issues });
    expect(value['~standard'].jsonSchema.output({ target: 'draft-07' })).toEqual(value.schema);
    expect(value['~standard'].vendor).toBe('mlpredict-ajv');
  });

  it('checks formats, reads draft 2020-12 when the schema says so, and is a valueSchema the core takes, JSON Schema included', () => {
    expect(jsonSchemaValue({ type: 'string', format: 'email' })['~standard'].validate('not an email').issues).toBeDefined();
    const tuple = jsonSchemaValue({ $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'array', prefixItems: [{ type: 'string' }, { type: 'number' }], items: false });
    expect(tuple['~standard'].validate(['a', 1]).issues).toBeUndefined();
    expect(tuple['~standard'].validate(['a', 1, 2]).issues).toBeDefined();
    // The core takes it as a Standard Schema, and reads its JSON Schema for structured output.
    const { $schema: _draft, ...sent } = tuple.schema;
    expect(resolveOptions({ valueSchema: tuple }).parse.valueJsonSchema).toEqual(sent);
  });
});

describe('labelOptions', () => {
  it('asks for structured output unless the user chose a mode, and keeps a labels var the user set', () => {
    const chosen = labelOptions(['yes', 'no'], parseOptions({ vars: { labels: 'mine' } }), true);
    expect(chosen).not.toHaveProperty('structuredOutput');
    expect(chosen.vars).toEqual({ labels: 'mine' });
    const auto = labelOptions(['yes', 'no'], parseOptions({}), false);
    expect(auto).toMatchObject({ structuredOutput: 'auto', vars: { labels: 'yes, no' }, instruction: 'Classify each input as exactly one of: "yes", "no".' });
    expect((auto.valueSchema as { safeParse(v: unknown): { success: boolean } }).safeParse('maybe').success).toBe(false);
  });
});

describe('prices', () => {
  it('takes the list price, an override of one side over it, or both for an unknown model; refuses a bad number', () => {
    expect(runPrice('gpt-4o-mini', {})).toEqual({ price: expect.objectContaining({ inputPerMillion: 0.15, outputPerMillion: 0.6 }), source: 'gpt-4o-mini list price' });
    expect(runPrice('gpt-4o-mini', { output: '1' })).toEqual({ price: expect.objectContaining({ inputPerMillion: 0.15, outputPerMillion: 1 }), source: '--price-input/--price-output over the gpt-4o-mini list price' });
    expect(runPrice('custom', { input: '1', output: '2' })?.price).toEqual({ inputPerMillion: 1, outputPerMillion: 2, batchDiscount: 0 });
    expect(runPrice('custom', {})).toBeUndefined();
    expect(() => runPrice('custom', { input: 'cheap', output: '1' })).toThrow('--price-input: expected USD per million tokens (a number ≥ 0), got "cheap"');
    expect(() => runPrice('custom', { input: '1' })).toThrow('--price-output is needed too: the price table does not know the model "custom"');
  });

  it('a cached-input price, never above the input price; a --config "price" under the flags', () => {
    expect(runPrice('gpt-4o-mini', { input: '0.05' })?.price).toEqual({ inputPerMillion: 0.05, cachedInputPerMillion: 0.05, outputPerMillion: 0.6, batchDiscount: 0.5 });
    expect(runPrice('custom', { input: '1', cachedInput: '0.25', output: '2' })?.price).toEqual({ inputPerMillion: 1, cachedInputPerMillion: 0.25, outputPerMillion: 2, batchDiscount: 0 });
    const config = { inputPerMillion: 3, outputPerMillion: 9, batchDiscount: 0.5 };
    expect(runPrice('custom', {}, config)).toEqual({ price: { inputPerMillion: 3, outputPerMillion: 9, batchDiscount: 0.5 }, source: '"price" of --config' });
    expect(runPrice('custom', { output: '1' }, config)?.price).toEqual({ inputPerMillion: 3, outputPerMillion: 1, batchDiscount: 0.5 });
    expect(() => runPrice('custom', {}, { inputPerMillion: 3 })).toThrow(/^--config: option "price" needs outputPerMillion/);
  });

  it('shows dollars at a readable precision', () => {
    expect([0, 0.0000001, 0.0000289, 0.01234, 0.5, 12.3456].map(formatUsd)).toEqual(['$0', '<$0.000001', '$0.000029', '$0.012', '$0.5', '$12.35']);
  });
});
