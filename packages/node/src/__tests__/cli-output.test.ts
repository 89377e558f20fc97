/**
 * What the CLI writes: CSV in → the same CSV back with the value and error
 * columns (checked by parsing it with the same parser), merged JSON Lines, one
 * JSON array; and what `--labels` and `--schema` let through. `runCli` in
 * process, against the simulator.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import fc from 'fast-check';
import { sentimentOf, startSimulator, type Simulator } from '@mlpredict/testing';
import { jsonLines, runInProcess } from './cli-process';
import { reviews } from './support';

describe('mlpredict output formats', () => {
  let sim: Simulator;
  let dir: string;
  let env: Record<string, string>;
  beforeAll(async () => {
    sim = await startSimulator();
    env = { OPENAI_BASE_URL: sim.url, OPENAI_API_KEY: 'k' };
  });
  afterAll(() => sim.close());
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mlpredict-output-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const common = ['-f', 'text', '--instruction', 'Classify the sentiment.', '--batch-timeout-ms', '5000', '--no-progress'];

  it('refuses an --output that is the input file (by another name too) before touching it', async () => {
    const input = join(dir, 'reviews.jsonl');
    const rows = reviews(3000).map((text, i) => JSON.stringify({ id: i, text })).join('\n') + '\n';
    await writeFile(input, rows);
    for (const output of [input, join(dir, '.', 'reviews.jsonl')]) {
      for (const extra of [[], ['--resume']]) {
        const run = await runInProcess([input, '-o', output, ...extra, ...common], { env });
        expect(run.code).toBe(2);
        expect(run.stderr).toMatch(/--output ".*reviews\.jsonl" is the input file/);
        expect(await readFile(input, 'utf8')).toBe(rows);
      }
    }
  });

  it('CSV in → CSV out round-trips every input column unchanged, in order, plus the value and error columns', async () => {
    // Cells with the characters CSV has to quote or keep: commas, quotes, line breaks (LF and CRLF), tabs, unicode, blanks.
    const cell = fc.array(fc.constantFrom('a', 'Z', ' ', ',', '"', '\n', '\r\n', '\t', 'é', '😀', 'great', 'awful', ';'), { maxLength: 12 }).map((parts) => parts.join(''));
    const table = fc.array(fc.record({ text: cell, note: cell }), { minLength: 1, maxLength: 25 });
    let run = 0;
    await fc.assert(
      fc.asyncProperty(table, async (records) => {
        const input = join(dir, `in-${run}.csv`);
        const output = join(dir, `out-${run++}.csv`);
        const rows = records.map((r, i) => ({ id: String(i), ...r }));
        await writeFile(input, stringify(rows, { header: true, columns: ['id', 'text', 'note'] }));
        const result = await runInProcess([input, '-o', output, '--value-field', 'sentiment', ...common], { env });
        expect(result.code).toBe(0);
        const text = await readFile(output, 'utf8');
        expect(text.split('\n')[0]).toBe('id,text,note,sentiment,error');
        expect(parse(text, { columns: true })).toEqual(rows.map((r) => ({ ...r, sentiment: sentimentOf(r.text), error: '' })));
      }),
      { numRuns: 25 },
    );
  });

  it('CSV out puts an unreadable row in its place, its error in the error column; the value column defaults to "value"', async () => {
    const input = join(dir, 'in.csv');
    await writeFile(input, 'id,text\n1,great phone\n2,too,many\n3,"it broke"\n');
    const result = await runInProcess([input, ...common], { env });
    expect(result.code).toBe(0);
    expect(parse(result.stdout, { columns: true })).toEqual([
      { id: '1', text: 'great phone', value: 'positive', error: '' },
      { id: '', text: '', value: '', error: expect.stringMatching(/^bad_input: line 3: /) },
      { id: '3', text: 'it broke', value: 'negative', error: '' },
    ]);
  });

  it('refuses CSV output whose value column would clash with an input column, before sending anything', async () => {
    const input = join(dir, 'in.csv');
    await writeFile(input, 'id,text,sentiment\n1,great,old\n');
    const before = sim.stats.chatRequests;
    const result = await runInProcess([input, '--value-field', 'sentiment', ...common], { env });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('the input already has a column "sentiment"; name the value column with --value-field NAME');
    expect(sim.stats.chatRequests).toBe(before);
  });

  it('JSONL input → CSV output (by --output\'s extension) has an input column', async () => {
    const output = join(dir, 'out.csv');
    const result = await runInProcess(['-o', output, '--value-field', 'sentiment', ...common], { env, stdin: '{"text":"great"}\n{"text":"awful, \\"really\\""}\n' });
    expect(result.code).toBe(0);
    expect(parse(await readFile(output, 'utf8'), { columns: true })).toEqual([
      { input: '{"text":"great"}', sentiment: 'positive', error: '' },
      { input: '{"text":"awful, \\"really\\""}', sentiment: 'negative', error: '' },
    ]);
  });

  it('--merge writes each input object with the value (or error) added; other records, and objects that already have the field, keep the plain shape', async () => {
    const stdin = ['{"id":1,"text":"great"}', '{"id":2}', '"a bare string"', '{"id":4,"text":"awful","sentiment":"mine"}', '{"id":5,"text":"meh"}'].join('\n');
    const result = await runInProcess(['--merge', '--value-field', 'sentiment', '-f', 'text', '--instruction', 'x', '--no-progress'], { env, stdin });
    expect(result.code).toBe(0);
    const noText = { code: 'bad_input', message: 'record has no "text" field (textField)', attempts: 0 };
    expect(jsonLines(result.stdout)).toEqual([
      { id: 1, text: 'great', sentiment: 'positive' },
      { id: 2, error: noText },
      { input: 'a bare string', error: noText },
      { input: { id: 4, text: 'awful', sentiment: 'mine' }, value: 'negative' },
      { id: 5, text: 'meh', sentiment: 'neutral' },
    ]);
    expect(result.stderr.match(/already has a "sentiment" field/g)).toHaveLength(1);
  });

  it('--output-format json writes one JSON array of the rows', async () => {
    const result = await runInProcess(['--output-format', 'json', ...common], { env, stdin: '{"text":"great"}\n{"text":"awful"}\n' });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual([
      { input: { text: 'great' }, value: 'positive' },
      { input: { text: 'awful' }, value: 'negative' },
    ]);
    const empty = await runInProcess(['--output-format', 'json', ...common], { env, stdin: '' });
    expect(JSON.parse(empty.stdout)).toEqual([]);
  });

  it('refuses --merge with CSV output and an unknown --output-format', async () => {
    const merge = await runInProcess(['--merge', '--output-format', 'csv'], { env });
    expect(merge.code).toBe(2);
    expect(merge.stderr).toContain('--merge is for jsonl and json output');
    const unknown = await runInProcess(['--output-format', 'xlsx'], { env });
    expect(unknown.stderr).toContain('--output-format: expected jsonl, csv, json, got "xlsx"');
  });
});

describe('mlpredict --labels and --schema', () => {
  let sim: Simulator;
  let dir: string;
  let env: Record<string, string>;
  beforeAll(async () => {
    sim = await startSimulator();
    env = { OPENAI_BASE_URL: sim.url, OPENAI_API_KEY: 'k' };
    dir = await mkdtemp(join(tmpdir(), 'mlpredict-labels-'));
  });
  afterAll(async () => {
    await sim.close();
    await rm(dir, { recursive: true, force: true });
  });

  const sample = reviews(40).map((text, id) => JSON.stringify({ id, text })).join('\n');

  it('--labels over a sample yields only those labels or schema errors, and says so in the prompt', async () => {
    const result = await runInProcess(['-f', 'text', '-l', 'positive,negative', '--value-field', 'sentiment', '--no-progress', '--batch-timeout-ms', '5000'], { env, stdin: sample });
    expect(result.code).toBe(0);
    const rows = jsonLines(result.stdout);
    expect(rows).toHaveLength(40);
    for (const row of rows) {
      if ('value' in row) expect(['positive', 'negative']).toContain(row.value);
      else expect(row.error).toMatchObject({ code: 'schema', message: expect.stringContaining('does not match valueSchema') });
    }
    // The simulator's rule says "neutral" for some of these: exactly those are the schema errors.
    expect(rows.map((r) => ('value' in r ? r.value : r.error.code))).toEqual(reviews(40).map((t) => (sentimentOf(t) === 'neutral' ? 'schema' : sentimentOf(t))));
    expect(result.stderr).not.toContain('warning');

    const dry = await runInProcess(['-f', 'text', '-l', 'positive,negative', '-n'], { env, stdin: sample });
    expect(dry.stdout).toContain('Classify each input as exactly one of: "positive", "negative".');
  });

  it('--labels adds to the user\'s own instruction', async () => {
    const dry = await runInProcess(['-l', 'spam, ham', '--instruction', 'Is each message spam?', '-n'], { env, stdin: '"win money"\n' });
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('Is each message spam? Answer with exactly one of: "spam", "ham".');
  });

  it('refuses too few labels, a repeated one, and --labels with --schema', async () => {
    expect((await runInProcess(['-l', 'spam'], { env })).stderr).toContain('--labels needs at least two labels');
    expect((await runInProcess(['-l', 'a,b,a'], { env })).stderr).toContain('--labels: "a" is given twice');
    const schema = join(dir, 's.json');
    await writeFile(schema, '{"type":"string"}');
    expect((await runInProcess(['-l', 'a,b', '--schema', schema], { env })).stderr).toContain('give --labels or --schema, not both');
  });

  it('--schema takes a JSON Schema for the value: values that match pass, others are schema errors naming the problem', async () => {
    const schema = join(dir, 'value.json');
    await writeFile(schema, JSON.stringify({ type: 'string', enum: ['positive', 'negative'] }));
    const result = await runInProcess(['--schema', schema, '--instruction', 'x', '--no-progress'], { env, stdin: '"great"\n"a box"\n"awful"\n' });
    expect(result.code).toBe(0);
    expect(jsonLines(result.stdout)).toEqual([
      { input: 'great', value: 'positive' },
      { input: 'a box', error: { code: 'schema', message: 'value "neutral" does not match valueSchema: must be equal to one of the allowed values: "positive", "negative"', attempts: expect.any(Number) } },
      { input: 'awful', value: 'negative' },
    ]);
  });

  it('refuses a --schema that is not JSON or not a schema', async () => {
    const notJson = join(dir, 'bad.json');
    await writeFile(notJson, '{type: string}');
    expect((await runInProcess(['--schema', notJson], { env })).stderr).toContain(`--schema: "${notJson}" is not valid JSON`);
    const notSchema = join(dir, 'bad-schema.json');
    await writeFile(notSchema, '{"type":"strnig"}');
    const result = await runInProcess(['--schema', notSchema], { env });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--schema: not a valid JSON Schema');
  });

  it('warns on stderr when the prompt has no instruction, labels or template', async () => {
    const bare = await runInProcess(['--no-progress'], { env, stdin: '"great"\n' });
    expect(bare.stderr).toContain('warning: no --instruction, --labels or prompt template');
    const withTemplate = await runInProcess(['--no-progress', '--prompt-template', '{{#records}}{{index}}: {{text}}\n{{/records}}'], { env, stdin: '"great"\n' });
    expect(withTemplate.stderr).not.toContain('warning');
  });
});
