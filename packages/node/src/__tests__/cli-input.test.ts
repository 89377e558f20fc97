/**
 * How the CLI takes its input: a positional file, plain text lines (by flag, by
 * extension, or by a look at stdin), a nested `--field a.b`, a hint when stdin
 * is a terminal, `--version`, and the cost in the dry run and the summary.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { sentimentOf, startSimulator, type Simulator } from '@mlpredict/testing';
import { jsonLines, runInProcess } from './cli-process';

describe('mlpredict input', () => {
  let sim: Simulator;
  let dir: string;
  let env: Record<string, string>;
  beforeAll(async () => {
    sim = await startSimulator();
    env = { OPENAI_BASE_URL: sim.url, OPENAI_API_KEY: 'k' };
  });
  afterAll(() => sim.close());
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mlpredict-input-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const quiet = ['--instruction', 'Give the sentiment.', '--no-progress'];

  it('reads plain text from stdin as one record a line: echo "I love it" | mlpredict', async () => {
    const run = await runInProcess(quiet, { env, stdin: 'I love it\n\nit broke, terrible\n' });
    expect(run.code).toBe(0);
    expect(jsonLines(run.stdout)).toEqual([
      { input: 'I love it', value: 'positive' },
      { input: 'it broke, terrible', value: 'negative' },
    ]);
  });

  it('reads stdin as JSON Lines when it starts with {, [ or " (blanks before it too), so a bad line stays a bad_input row', async () => {
    const run = await runInProcess(['-f', 'text', ...quiet], { env, stdin: '\n  {"text":"great"}\n{"text": oops\n' });
    expect(jsonLines(run.stdout)).toEqual([
      { input: { text: 'great' }, value: 'positive' },
      { input: '{"text": oops', error: expect.objectContaining({ code: 'bad_input', message: expect.stringContaining('line 3: not valid JSON') }) },
    ]);
  });

  it('--format lines and a .txt extension read lines as they are, JSON-looking or not', async () => {
    const byFlag = await runInProcess(['--format', 'lines', ...quiet], { env, stdin: '{"not": "parsed"} great\n' });
    expect(jsonLines(byFlag.stdout)).toEqual([{ input: '{"not": "parsed"} great', value: 'positive' }]);
    const file = join(dir, 'notes.txt');
    await writeFile(file, '"quoted" and awful\r\nplain\r\n');
    const byName = await runInProcess([file, ...quiet], { env });
    expect(jsonLines(byName.stdout)).toEqual([
      { input: '"quoted" and awful', value: 'negative' },
      { input: 'plain', value: 'neutral' },
    ]);
  });

  it('reads a JSON Lines or lines file that starts with a UTF-8 byte order mark like one without', async () => {
    const jsonl = join(dir, 'bom.jsonl');
    await writeFile(jsonl, '\uFEFF{"text":"great"}\r\n{"text":"awful"}\r\n');
    const fromJsonl = await runInProcess([jsonl, '-f', 'text', ...quiet], { env });
    expect(jsonLines(fromJsonl.stdout)).toEqual([
      { input: { text: 'great' }, value: 'positive' },
      { input: { text: 'awful' }, value: 'negative' },
    ]);
    const fromStdin = await runInProcess(quiet, { env, stdin: '\uFEFFI love it\n' });
    expect(jsonLines(fromStdin.stdout)).toEqual([{ input: 'I love it', value: 'positive' }]);
  });

  it('takes the input file as a positional argument', async () => {
    const file = join(dir, 'reviews.jsonl');
    await writeFile(file, '{"text":"great"}\n{"text":"awful"}\n');
    const run = await runInProcess([file, '-f', 'text', '--instruction', 'x', '--no-progress'], { env });
    expect(run.code).toBe(0);
    expect(jsonLines(run.stdout).map((r) => r.value)).toEqual(['positive', 'negative']);
    expect(run.stderr).toMatch(/mlpredict: 2 rows, 0 errors, 1 request/);
  });

  it('reads a nested field with --field a.b, a literal "a.b" key first, and names the path when a record lacks it', async () => {
    const stdin = ['{"review":{"body":"great phone"}}', '{"review.body":"awful"}', '{"review":{"title":"x"}}', '{"review":{"body":{"n":1}}}'].join('\n');
    const run = await runInProcess(['--field', 'review.body', ...quiet], { env, stdin });
    expect(jsonLines(run.stdout)).toEqual([
      { input: { review: { body: 'great phone' } }, value: 'positive' },
      { input: { 'review.body': 'awful' }, value: 'negative' },
      { input: { review: { title: 'x' } }, error: { code: 'bad_input', message: 'record has no "review.body" field (--field)', attempts: 0 } },
      { input: { review: { body: { n: 1 } } }, value: sentimentOf('{"n":1}') },
    ]);
  });

  it('refuses a --field that is not a column of the CSV header before sending anything (dry run and deferred too)', async () => {
    const file = join(dir, 'reviews.csv');
    await writeFile(file, 'id,review\n1,great\n2,awful\n');
    const before = sim.stats.chatRequests;
    for (const extra of [[], ['--dry-run'], ['--deferred', '--job-dir', join(dir, 'job')]]) {
      const run = await runInProcess([file, '--field', 'txt', ...extra, ...quiet], { env });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('--field "txt" is not a column of the CSV header ("id", "review"); give one of those');
      expect(run.stdout).toBe('');
    }
    expect(sim.stats.chatRequests).toBe(before);
    const right = await runInProcess([file, '--field', 'review', '--output-format', 'jsonl', ...quiet], { env });
    expect(right.code).toBe(0);
    expect(jsonLines(right.stdout).map((r) => r.value)).toEqual(['positive', 'negative']);
  });

  it('hints at how to end input when stdin is a terminal', async () => {
    const stdin = Object.assign(Readable.from(['great\n']), { isTTY: true });
    const run = await runInProcess(quiet, { env, stdin });
    expect(run.stderr).toContain('mlpredict: reading records from the terminal, one a line (Ctrl-D ends them)');
    const piped = await runInProcess(quiet, { env, stdin: 'great\n' });
    expect(piped.stderr).not.toContain('reading records from the terminal');
  });

  it('--version and -v print the version and nothing else', async () => {
    for (const flag of ['--version', '-v']) {
      const run = await runInProcess([flag], { version: '1.2.3' });
      expect(run).toEqual({ code: 0, stdout: '1.2.3\n', stderr: '' });
    }
  });

  it('--dry-run estimates requests, tokens and cost at the model\'s list price, with --price-* over it', async () => {
    const file = join(dir, 'reviews.jsonl');
    await writeFile(file, Array.from({ length: 100 }, (_, i) => JSON.stringify({ text: `review ${i}: great` })).join('\n'));
    const before = sim.stats.chatRequests;
    const listed = await runInProcess([file, '-f', 'text', '-l', 'positive,negative', '-b', '20', '-n'], { env });
    expect(listed.stdout).toMatch(/≈ 5 requests, ≈ \d+ prompt tokens and ≈ \d+ completion tokens for all 100 records, before retries\./);
    // Real time and deferred side by side, from the same batching: the same requests and tokens, the Batch API at half the cost.
    const row = (how: string) => new RegExp(`^  ${how} +(\\d+) +(\\d+) +(\\d+) +≈ \\$([\\d.]+)`, 'm').exec(listed.stdout)!.slice(1).map(Number);
    const [requests, prompt, completion, realTime] = row('real time');
    const deferred = row('deferred');
    expect([requests, prompt, completion]).toEqual([5, Number(/≈ (\d+) prompt tokens and/.exec(listed.stdout)![1]), Number(/≈ (\d+) completion tokens/.exec(listed.stdout)![1])]);
    expect(deferred.slice(0, 3)).toEqual([requests, prompt, completion]);
    expect(realTime).toBeCloseTo(Number(((prompt! * 0.15 + completion! * 0.6) / 1e6).toPrecision(2)), 10);
    expect(deferred[3]).toBeCloseTo(Number(((prompt! * 0.15 + completion! * 0.6) / 2e6).toPrecision(2)), 10);
    expect(listed.stdout).toMatch(/deferred .*--deferred: the provider's Batch API, 50% off; 1 job, answers within 24 h/);
    expect(listed.stdout).toMatch(/At \$0\.15 input \/ \$0\.075 cached input \/ \$0\.6 output per million tokens \(gpt-4o-mini list price\); answers guessed at \d+ tokens a record; prompt caching/);
    const own = await runInProcess([file, '-f', 'text', '-b', '20', '-m', 'my-model', '--price-input', '1000000', '--price-output', '0', '-n'], { env });
    const ownPrompt = Number(/≈ (\d+) prompt tokens and/.exec(own.stdout)?.[1]);
    expect(own.stdout).toMatch(new RegExp(`^  real time +5 +${ownPrompt} +\\d+ +≈ \\$${ownPrompt}\\.00$`, 'm'));
    expect(own.stdout).toMatch(new RegExp(`^  deferred +5 +${ownPrompt} +\\d+ +≈ \\$${ownPrompt}\\.00 +--deferred: the provider's Batch API, no discount known`, 'm'));
    expect(own.stdout).toContain('At $1000000 input / $0 output per million tokens (--price-input/--price-output)');
    const unknown = await runInProcess([file, '-f', 'text', '-m', 'my-model', '-n'], { env });
    expect(unknown.stdout).toContain('Cost: unknown; the price table does not know the model "my-model"');
    expect(sim.stats.chatRequests).toBe(before);
  });

  it('the summary prices the tokens used; an unknown model needs both prices', async () => {
    const run = await runInProcess(['-m', 'custom', '--price-input', '2', '--price-output', '8', ...quiet], { env, stdin: 'great\n' });
    const [, prompt, completion] = /\d+ tokens \((\d+) prompt, (\d+) completion\)/.exec(run.stderr)!.map(Number);
    const cost = (prompt! * 2 + completion! * 8) / 1e6;
    expect(run.stderr).toContain(`$${Number(cost.toPrecision(2))} (--price-input/--price-output)`);
    const half = await runInProcess(['-m', 'custom', '--price-input', '2'], { env });
    expect(half.code).toBe(2);
    expect(half.stderr).toContain('--price-output is needed too: the price table does not know the model "custom"');
  });
});
