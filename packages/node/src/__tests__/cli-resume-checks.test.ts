/**
 * What `--resume` continues and what it refuses, through `runCli` in process
 * against the simulator: a grown input continues, a torn tail is cut, a changed
 * input, prompt or output is refused before anything is sent or touched, and
 * signals stop a run so that it can be resumed.
 */
import { EventEmitter } from 'node:events';
import { appendFile, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { sentimentOf, startSimulator, type Simulator } from '@mlpredict/testing';
import { stateFilePath } from '../cli/resume-state';
import { jsonLines, runInProcess } from './cli-process';
import { reviews, waitFor } from './support';

describe('mlpredict --resume (in process)', () => {
  let sim: Simulator;
  let dir: string;
  let env: Record<string, string>;
  beforeEach(async () => {
    sim = await startSimulator();
    dir = await mkdtemp(join(tmpdir(), 'mlpredict-resume-checks-'));
    env = { OPENAI_BASE_URL: sim.url, OPENAI_API_KEY: 'k' };
  });
  afterEach(async () => {
    await sim.close();
    await rm(dir, { recursive: true, force: true });
  });

  const texts = reviews(60);
  const jsonl = (from: number, to: number) => texts.slice(from, to).map((text, i) => JSON.stringify({ id: from + i, text })).join('\n') + '\n';
  const expected = (n: number) => texts.slice(0, n).map((text, id) => ({ input: { id, text }, value: sentimentOf(text) }));
  const flags = (input: string, output: string, ...more: string[]) => [input, '-o', output, '-f', 'text', '--value-field', 'sentiment', '--instruction', 'Classify.', '-b', '10', '--batch-timeout-ms', '5000', '--no-progress', ...more];

  /** Writes the first `n` rows as the input and runs to completion: an output `--resume` can continue once the input grows. */
  async function firstRun(input: string, output: string, n: number, ...more: string[]) {
    await writeFile(input, jsonl(0, n));
    const run = await runInProcess(flags(input, output, ...more), { env });
    expect(run.code).toBe(0);
    await writeFile(input, jsonl(0, texts.length));
    return { requests: sim.stats.chatRequests, bytes: (await stat(output)).size };
  }

  it('continues after the rows already written, sending only the new ones; a complete output sends nothing', async () => {
    const [input, output] = [join(dir, 'in.jsonl'), join(dir, 'out.jsonl')];
    const before = await firstRun(input, output, 20);
    const run = await runInProcess(flags(input, output, '--resume'), { env });
    expect(run.code).toBe(0);
    expect(jsonLines(await readFile(output, 'utf8'))).toEqual(expected(60));
    expect(sim.stats.chatRequests - before.requests).toBe(4);
    expect(run.stderr).toContain('mlpredict: 60 rows (20 from an earlier run), 0 errors, 4 requests');

    const again = await runInProcess(flags(input, output, '--resume'), { env });
    expect(again.code).toBe(0);
    expect(sim.stats.chatRequests - before.requests).toBe(4);
    expect(again.stderr).toContain('mlpredict: 60 rows (60 from an earlier run), 0 errors, 0 requests');
  });

  it('cuts a torn last line (and anything else past the last checkpoint) before continuing', async () => {
    const [input, output] = [join(dir, 'in.jsonl'), join(dir, 'out.jsonl')];
    await firstRun(input, output, 20);
    await appendFile(output, '{"input":{"id":20,"text":"Revi');
    const run = await runInProcess(flags(input, output, '--resume'), { env });
    expect(run.code).toBe(0);
    expect(jsonLines(await readFile(output, 'utf8'))).toEqual(expected(60));
  });

  it('refuses a changed prompt, naming the flag, and leaves the output as it was', async () => {
    const [input, output] = [join(dir, 'in.jsonl'), join(dir, 'out.jsonl')];
    const before = await firstRun(input, output, 20);
    const run = await runInProcess([...flags(input, output, '--resume'), '--instruction', 'Rate each review from 1 to 5.'], { env });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`cannot resume "${output}": it was made with other settings: --instruction (was "Classify.", now "Rate each review from 1 to 5.")`);
    expect((await stat(output)).size).toBe(before.bytes);
    expect(sim.stats.chatRequests).toBe(before.requests);
  });

  it('refuses an input whose rows differ from the ones the output answers', async () => {
    const [input, output] = [join(dir, 'in.jsonl'), join(dir, 'out.jsonl')];
    const before = await firstRun(input, output, 20);
    await writeFile(input, jsonl(0, 60).replace('"id":7,', '"id":7000,'));
    const run = await runInProcess(flags(input, output, '--resume'), { env });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('the input is not the one its 20 rows were made from (its first 20 rows differ)');
    expect((await stat(output)).size).toBe(before.bytes);
    expect(sim.stats.chatRequests).toBe(before.requests);

    await writeFile(input, jsonl(0, 5));
    const shorter = await runInProcess(flags(input, output, '--resume'), { env });
    expect(shorter.code).toBe(2);
    expect(shorter.stderr).toContain('the input has only 5 rows, but the output already answers 20');
  });

  it('refuses an output changed after it was written, and one with no resume state', async () => {
    const [input, output] = [join(dir, 'in.jsonl'), join(dir, 'out.jsonl')];
    await firstRun(input, output, 20);
    const text = await readFile(output, 'utf8');
    await writeFile(output, text.replace('"positive"', '"negative"'));
    const edited = await runInProcess(flags(input, output, '--resume'), { env });
    expect(edited.code).toBe(2);
    expect(edited.stderr).toContain('are not what mlpredict wrote');

    await rm(stateFilePath(output));
    const stateless = await runInProcess(flags(input, output, '--resume'), { env });
    expect(stateless.code).toBe(2);
    expect(stateless.stderr).toContain('it has no resume state');
  });

  it('--dry-run with --resume shows the next request and estimates only what is left, touching nothing', async () => {
    const [input, output] = [join(dir, 'in.jsonl'), join(dir, 'out.jsonl')];
    const before = await firstRun(input, output, 20);
    const dry = await runInProcess(flags(input, output, '--resume', '--dry-run'), { env });
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain(`Resuming: "${output}" already holds 20 rows; the estimate is for the rest.`);
    expect(dry.stdout).toContain(`Input 1: ${JSON.stringify(texts[20])}`);
    expect(dry.stdout).toMatch(/≈ 4 requests, ≈ \d+ prompt tokens and ≈ \d+ completion tokens for all 40 records/);
    expect(sim.stats.chatRequests).toBe(before.requests);
    expect((await stat(output)).size).toBe(before.bytes);
  });

  it('refuses --resume without an output file', async () => {
    const run = await runInProcess(['--resume', '-f', 'text'], { env, stdin: '{"text":"x"}\n' });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--resume needs --output FILE');
  });

  it('continues plain text lines input, and a JSON array output stays one valid array', async () => {
    const [input, output] = [join(dir, 'in.txt'), join(dir, 'out.json')];
    const lines = (n: number) => texts.slice(0, n).join('\n\n') + '\n';
    await writeFile(input, lines(25));
    const common = [input, '-o', output, '--value-field', 'sentiment', '--instruction', 'Classify.', '-b', '10', '--no-progress'];
    expect((await runInProcess(common, { env })).code).toBe(0);
    expect(JSON.parse(await readFile(output, 'utf8'))).toHaveLength(25);
    await writeFile(input, lines(60));
    expect((await runInProcess([...common, '--resume'], { env })).code).toBe(0);
    expect(JSON.parse(await readFile(output, 'utf8'))).toEqual(texts.map((text) => ({ input: text, value: sentimentOf(text) })));
  });
});

describe('signals (in process)', () => {
  let sim: Simulator;
  let dir: string;
  afterEach(async () => {
    await sim.close();
    await rm(dir, { recursive: true, force: true });
  });

  const start = async (latencyMs: number) => {
    sim = await startSimulator({ latencyMs });
    dir = await mkdtemp(join(tmpdir(), 'mlpredict-signals-'));
    const [input, output] = [join(dir, 'in.jsonl'), join(dir, 'out.jsonl')];
    const texts = reviews(200);
    await writeFile(input, texts.map((text, id) => JSON.stringify({ id, text })).join('\n'));
    const signals = new EventEmitter();
    const args = [input, '-o', output, '-f', 'text', '--value-field', 'sentiment', '--instruction', 'Classify.', '-b', '5', '-c', '1', '--batch-timeout-ms', '5000', '--no-progress'];
    const env = { OPENAI_BASE_URL: sim.url, OPENAI_API_KEY: 'k' };
    return { input, output, texts, signals, args, env };
  };

  it('SIGTERM: stops reading, finishes what is in flight, writes it, says how to continue, and exits 143', async () => {
    const { output, texts, signals, args, env } = await start(20);
    const running = runInProcess(args, { env, signals });
    await waitFor(() => sim.stats.chatRequests >= 3, 'a few requests');
    signals.emit('SIGTERM');
    const run = await running;
    expect(run.code).toBe(143);
    const done = Number(/interrupted \(SIGTERM\) after (\d+) of 200 rows; rerun with --resume/.exec(run.stderr)?.[1]);
    expect(done).toBeGreaterThan(0);
    expect(done).toBeLessThan(200);
    expect(sim.stats.recordsSeen).toBe(done);
    expect(sim.stats.aborted).toBe(0);
    expect(jsonLines(await readFile(output, 'utf8'))).toEqual(texts.slice(0, done).map((text, id) => ({ input: { id, text }, value: sentimentOf(text) })));
    expect(signals.listenerCount('SIGTERM') + signals.listenerCount('SIGINT')).toBe(0);

    const resumed = await runInProcess([...args, '--resume'], { env });
    expect(resumed.code).toBe(0);
    expect(jsonLines(await readFile(output, 'utf8'))).toHaveLength(200);
  });

  it('a second SIGINT gives up the rows in flight at once; the output keeps only complete rows, and --resume finishes it', async () => {
    const { output, texts, signals, args, env } = await start(60_000);
    const running = runInProcess(args, { env, signals });
    await waitFor(() => sim.stats.inFlight >= 1, 'a request in flight');
    signals.emit('SIGINT');
    signals.emit('SIGINT');
    const run = await running;
    expect(run.code).toBe(130);
    expect(run.stderr).toContain('interrupted (SIGINT) after 0 of 200 rows; rerun with --resume');
    await waitFor(() => sim.stats.aborted >= 1, 'the request to be aborted');
    expect(await readFile(output, 'utf8')).toBe('');

    await sim.configure({ latencyMs: 0 });
    const resumed = await runInProcess([...args, '--resume'], { env });
    expect(resumed.code).toBe(0);
    expect(jsonLines(await readFile(output, 'utf8'))).toEqual(texts.map((text, id) => ({ input: { id, text }, value: sentimentOf(text) })));
  });

  it('a quiet stdin (a pipe that sends nothing more) does not hold the run after a signal', async () => {
    const { output, signals, env } = await start(0);
    const stdin = new PassThrough();
    stdin.write('great\nawful\nmeh\n');
    const running = runInProcess(['-o', output, '--value-field', 'sentiment', '--instruction', 'x', '--batch-timeout-ms', '10', '--no-progress'], { env, signals, stdin });
    await waitFor(() => sim.stats.recordsSeen >= 3, 'the three lines to be sent');
    signals.emit('SIGINT');
    const run = await running;
    expect(run.code).toBe(130);
    expect(stdin.destroyed).toBe(true);
    expect(jsonLines(await readFile(output, 'utf8')).map((r) => r.value)).toEqual(['positive', 'negative', 'neutral']);
  });

  it('the grace period ends what a first signal left running', async () => {
    const { signals, args, env } = await start(60_000);
    const running = runInProcess([...args, '--grace-ms', '50'], { env, signals });
    await waitFor(() => sim.stats.inFlight >= 1, 'a request in flight');
    signals.emit('SIGINT');
    const run = await running;
    expect(run.code).toBe(130);
    expect(run.stderr).toContain('SIGINT: stopped reading; finishing the records in flight (at most 0.1 s');
    await waitFor(() => sim.stats.aborted >= 1, 'the request to be aborted');
  });
});
