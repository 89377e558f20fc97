/**
 * The `mlpredict` executable end to end: the built `dist/esm/cli.mjs` in a child
 * process, real files, and the simulator over HTTP. `beforeAll` runs an
 * incremental `tsc -b` of this package first, so the suite never runs a stale build.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sentimentOf, startSimulator, type Simulator } from '@mlpredict/testing';
import { buildCli, jsonLines as lines, mlpredict, runInProcess } from './cli-process';

describe('mlpredict (the built CLI)', () => {
  let sim: Simulator;
  let dir: string;
  let env: Record<string, string>;

  beforeAll(buildCli, 240_000);

  beforeEach(async () => {
    sim = await startSimulator({ latencyMs: [1, 20], seed: 5 });
    dir = await mkdtemp(join(tmpdir(), 'mlpredict-cli-'));
    env = { OPENAI_BASE_URL: sim.url, OPENAI_API_KEY: 'test-key' };
  });
  afterEach(async () => {
    await sim.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('predicts a JSONL file into a JSONL file, one row per line in order, a malformed line as a bad_input row', async () => {
    const texts = Array.from({ length: 120 }, (_, i) => `Review ${i}: ${['great phone', 'it broke', 'arrived Tuesday', 'awful', 'love it'][i % 5]}`);
    const source = texts.map((text, i) => (i % 17 === 5 ? `{"id": ${i}, "text": oops` : JSON.stringify({ id: i, text })));
    const input = join(dir, 'reviews.jsonl');
    const output = join(dir, 'out.jsonl');
    await writeFile(input, `${source.join('\n')}\n`);

    const run = await mlpredict(['--input', input, '--output', output, '--field', 'text', '--value-field', 'sentiment', '--batch-size', '8', '--concurrency', '3', '--batch-timeout-ms', '20'], { env });

    expect(run.code).toBe(0);
    expect(run.stdout).toBe('');
    const rows = lines(await readFile(output, 'utf8'));
    expect(rows).toHaveLength(texts.length);
    rows.forEach((row, i) => {
      if (i % 17 === 5) {
        expect(row).toEqual({ input: source[i], error: { code: 'bad_input', message: expect.stringContaining(`line ${i + 1}:`), attempts: 0 } });
      } else {
        expect(row).toEqual({ input: { id: i, text: texts[i] }, value: sentimentOf(texts[i]!) });
      }
    });
    const bad = texts.filter((_, i) => i % 17 === 5).length;
    expect(run.stderr).toContain(`mlpredict: 120 rows, ${bad} errors (bad_input ${bad})`);
    expect(sim.stats.chatRequests).toBeGreaterThan(0);
  });

  it('reads CSV by extension, keyed by the header, with an unreadable row kept in its place', async () => {
    const input = join(dir, 'reviews.csv');
    await writeFile(input, 'id,text\n1,great phone\n2,"it broke, terrible"\n3,too,many,fields\n4,"multi\nline, love it"\n5,meh\n');
    const run = await mlpredict(['-i', input, '--field', 'text', '--value-field', 'sentiment', '--batch-timeout-ms', '10', '--output-format', 'jsonl'], { env });

    expect(run.code).toBe(0);
    const rows = lines(run.stdout);
    expect(rows).toEqual([
      { input: { id: '1', text: 'great phone' }, value: sentimentOf('great phone') },
      { input: { id: '2', text: 'it broke, terrible' }, value: sentimentOf('it broke, terrible') },
      { input: '3,too,many,fields', error: { code: 'bad_input', message: expect.stringMatching(/^line 4: /), attempts: 0 } },
      { input: { id: '4', text: 'multi\nline, love it' }, value: sentimentOf('multi\nline, love it') },
      { input: { id: '5', text: 'meh' }, value: sentimentOf('meh') },
    ]);
  });

  it('reads stdin and writes stdout', async () => {
    const run = await mlpredict(['--value-field', 'sentiment', '--no-progress'], { env, stdin: '"great phone"\n"it broke"\n\n"a box"\n' });
    expect(run.code).toBe(0);
    expect(lines(run.stdout)).toEqual(['great phone', 'it broke', 'a box'].map((input) => ({ input, value: sentimentOf(input) })));
    expect(run.stderr).toMatch(/mlpredict: 3 rows, 0 errors, 1 request/);
  });

  it('exits 1 with --fail-on-error when a row has an error, after writing every row', async () => {
    const run = await mlpredict(['--fail-on-error', '--value-field', 'sentiment'], { env, stdin: '"great"\n{nope\n' });
    expect(run.code).toBe(1);
    expect(lines(run.stdout).map((r) => r.error?.code ?? 'ok')).toEqual(['ok', 'bad_input']);
  });

  it('exits 2 naming a missing input file, and sends nothing', async () => {
    const missing = join(dir, 'nope.jsonl');
    const run = await mlpredict(['--input', missing], { env });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`--input: cannot read "${missing}": no such file or directory`);
    expect(sim.stats.requests).toBe(0);
  });

  it('exits 2 naming a bad flag or a bad value', async () => {
    const unknown = await mlpredict(['--batch-sise', '5'], { env });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown flag --batch-sise (did you mean --batch-size?)');

    const badValue = await mlpredict(['--concurrency', '0'], { env, stdin: '"x"\n' });
    expect(badValue.code).toBe(2);
    expect(badValue.stderr).toContain('--concurrency: expected a value >= 1, got 0');
    expect(sim.stats.requests).toBe(0);
  });

  it('--dry-run prints the first batch\'s prompt and a token estimate, and sends nothing', async () => {
    const input = join(dir, 'reviews.jsonl');
    await writeFile(input, ['great phone', 'it broke', 'a box', 'love it'].map((text) => JSON.stringify({ text })).join('\n'));
    const run = await mlpredict(['-i', input, '--field', 'text', '--batch-size', '3', '--instruction', 'Classify the sentiment of each review.', '--dry-run'], { env });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('the first request would carry 3 records');
    expect(run.stdout).toContain('Classify the sentiment of each review.');
    expect(run.stdout).toMatch(/Input 1: "great phone"[\s\S]*Input 3: "a box"/);
    expect(run.stdout).not.toContain('love it');
    expect(run.stdout).toMatch(/≈ \d+ prompt tokens for this request/);
    expect(sim.stats.requests).toBe(0);
  });

  it('--version prints the package\'s version; echo "I love it" | mlpredict answers a plain line', async () => {
    const { version } = JSON.parse(await readFile(join(__dirname, '../../package.json'), 'utf8')) as { version: string };
    expect(await mlpredict(['--version'])).toMatchObject({ code: 0, stdout: `${version}\n` });
    const echo = await mlpredict(['--no-progress'], { env, stdin: 'I love it\n' });
    expect(echo.code).toBe(0);
    expect(lines(echo.stdout)).toEqual([{ input: 'I love it', value: 'positive' }]);
  });

  it('--help lists the flags and exits 0', async () => {
    const run = await mlpredict(['--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/--batch-size N\|auto\s+records per request; auto: .*\(default: "auto"\)/);
    expect(run.stdout).toContain('--fail-on-error');
  });
});

describe('runCli (in process)', () => {
  let sim: Simulator;
  afterEach(async () => {
    await sim?.close();
  });

  const env = () => ({ OPENAI_BASE_URL: sim.url, OPENAI_API_KEY: 'k' });

  it('prints a plain progress line every interval when stderr is not a terminal', async () => {
    sim = await startSimulator({ latencyMs: 60 });
    const stdin = Array.from({ length: 12 }, (_, i) => JSON.stringify(`review ${i} great`)).join('\n');
    const run = await runInProcess(['--batch-size', '2', '--concurrency', '1', '--batch-timeout-ms', '0'], { env: env(), stdin, progressIntervalMs: 25 });
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/^mlpredict: \d+ rows, [\d.]+ rows\/s, 0 errors, \d+ requests, \d+ tokens, \$[\d.]+$/m);
    expect(run.stderr).toMatch(/mlpredict: 12 rows, 0 errors, 6 requests, \d+ tokens \(\d+ prompt, \d+ completion\), \$[\d.]+ \(gpt-4o-mini list price\)/);
    expect(lines(run.stdout)).toHaveLength(12);
  });

  it('writes rows in input order even with --no-ordered, each with its own value', async () => {
    sim = await startSimulator({ latencyMs: [1, 80], seed: 11 });
    const texts = Array.from({ length: 40 }, (_, i) => `review ${i}: ${['great', 'awful', 'a box'][i % 3]}`);
    const run = await runInProcess(['--no-ordered', '--batch-size', '2', '--concurrency', '8', '--batch-timeout-ms', '0', '--value-field', 'sentiment', '--no-progress'], { env: env(), stdin: texts.map((t) => JSON.stringify(t)).join('\n') });
    expect(run.code).toBe(0);
    expect(lines(run.stdout)).toEqual(texts.map((input) => ({ input, value: sentimentOf(input) })));
  });

  it('stops, aborting requests, when its signal aborts, and exits 130', async () => {
    sim = await startSimulator({ latencyMs: 30_000 });
    const interrupt = new AbortController();
    const stdin = Array.from({ length: 10 }, (_, i) => JSON.stringify(`r${i}`)).join('\n');
    const run = runInProcess(['--batch-timeout-ms', '0', '--batch-size', '5', '--no-progress'], { env: env(), stdin, signal: interrupt.signal });
    while (sim.stats.inFlight < 2) await new Promise((r) => setTimeout(r, 10));
    interrupt.abort();
    expect((await run).code).toBe(130);
    while (sim.stats.inFlight > 0) await new Promise((r) => setTimeout(r, 10));
    expect(sim.stats.aborted).toBe(2);
  });
});
