/** `mlpredict-sim`: its flags, and the built command over real HTTP. */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import OpenAI, { toFile } from 'openai';
import { parseSimArgs } from '../cli/sim-args';
import { batchPrompt, clientFor } from './support/batch-prompts';

const root = join(__dirname, '..', '..', '..', '..');
const cli = join(root, 'packages', 'testing', 'dist', 'esm', 'cli.mjs');

describe('parseSimArgs', () => {
  it('maps every flag to its simulator option', () => {
    expect(
      parseSimArgs([
        '--port', '8787', '--host', '0.0.0.0', '--latency', '50-200', '--seed', '7',
        '--defect', 'fence=0.1', '--defect', 'missing=1', '--fault', 'hang=0.02', '--slow-ms', '300',
        '--rate-limit-requests', '5', '--rate-limit-tokens', '9000', '--window-ms', '1000',
        '--max-in-flight', '8', '--max-embedding-inputs', '16', '--model', 'gpt-sim', '--api-key', 'k', '--stats-every', '500',
      ]),
    ).toEqual({
      kind: 'run',
      statsEveryMs: 500,
      options: {
        port: 8787,
        host: '0.0.0.0',
        latencyMs: [50, 200],
        seed: 7,
        defects: { fence: 0.1, missing: 1 },
        faults: { hang: 0.02, slowMs: 300 },
        rateLimit: { requests: 5, tokens: 9000, windowMs: 1000 },
        maxInFlight: 8,
        maxEmbeddingInputs: 16,
        model: 'gpt-sim',
        apiKey: 'k',
      },
    });
    expect(parseSimArgs(['--latency', '100'])).toEqual({ kind: 'run', options: { latencyMs: 100 } });
    expect(parseSimArgs(['-h'])).toEqual({ kind: 'help' });
  });

  it('maps the self-tuning and Batch API flags', () => {
    expect(
      parseSimArgs([
        '--latency', '100', '--latency-per-token', 'completion=2', '--latency-per-token', 'prompt=0.5', '--context-tokens', '3000',
        '--accuracy', 'atBatchSize1=0.98', '--accuracy', 'perRecord=0.004', '--accuracy', 'floor=0.5',
        '--batch', 'completionDelayMs=30000', '--batch', 'failedLineRate=0.05', '--batch', 'outputOrder=input', '--batch', 'expireAfterMs=60000',
      ]),
    ).toEqual({
      kind: 'run',
      options: {
        latencyMs: 100,
        latencyPerTokenMs: { completion: 2, prompt: 0.5 },
        contextTokens: 3000,
        accuracy: { atBatchSize1: 0.98, perRecord: 0.004, floor: 0.5 },
        batch: { completionDelayMs: 30000, failedLineRate: 0.05, outputOrder: 'input', expireAfterMs: 60000 },
      },
    });
  });

  it.each([
    [['--latency-per-token', 'output=2'], "--latency-per-token: unknown setting 'output'; expected one of prompt, completion"],
    [['--latency-per-token', 'completion'], "--latency-per-token expects name=value, got 'completion'"],
    [['--context-tokens', '0'], '--context-tokens expects an integer ≥ 1'],
    [['--accuracy', 'perRecord=lots'], "--accuracy perRecord expects a number, got 'lots'"],
    [['--accuracy', 'atBatchSize1=0.5', '--accuracy', 'floor=0.9'], 'accuracy.floor (0.9) is above accuracy.atBatchSize1'],
    [['--batch', 'clock=1'], "--batch: unknown setting 'clock'"],
    [['--batch', 'failedLineRate=2'], 'batch.failedLineRate must be a number from 0 to 1'],
    [['--batch', 'outputOrder=sorted'], "batch.outputOrder must be 'shuffled' or 'input'"],
  ])('%j is an error naming the setting', (argv, message) => {
    const command = parseSimArgs(argv);
    expect(command.kind).toBe('error');
    expect(command.kind === 'error' && command.message).toContain(message);
  });

  it.each([
    [['--bogus'], "unknown option '--bogus'"],
    [['--port', 'abc'], "--port expects an integer ≥ 0, got 'abc'"],
    [['--latency', 'soon'], '--latency expects ms or min-max'],
    [['--defect', 'fences=1'], "--defect: unknown defect 'fences'"],
    [['--defect', 'fence=2'], "--defect expects name=rate with rate from 0 to 1, got 'fence=2'"],
    [['--fault', 'hang'], '--fault expects name=rate'],
    [['--window-ms', '1000'], '--window-ms needs --rate-limit-requests or --rate-limit-tokens'],
    [['--max-in-flight', '0'], '--max-in-flight expects an integer ≥ 1'],
  ])('%j is an error naming the flag', (argv, message) => {
    const command = parseSimArgs(argv);
    expect(command.kind).toBe('error');
    expect(command.kind === 'error' && command.message).toContain(message);
  });
});

describe('the built mlpredict-sim', () => {
  let child: ChildProcess | undefined;
  beforeAll(() => {
    // Build this package only (core's build output is only read), so dist/esm/cli.mjs is current.
    execFileSync('pnpm', ['run', 'build'], { cwd: join(root, 'packages', 'testing'), stdio: 'pipe' });
  }, 120_000);
  afterEach(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    child = undefined;
  });

  const run = (args: string[]) => {
    const proc = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout!.on('data', (chunk) => (stdout += chunk));
    proc.stderr!.on('data', (chunk) => (stderr += chunk));
    const firstLine = new Promise<string>((resolve, reject) => {
      proc.stdout!.on('data', () => stdout.includes('\n') && resolve(stdout.split('\n')[0]!));
      proc.once('exit', (code) => reject(new Error(`exited ${code} before printing a URL: ${stderr}`)));
    });
    // 'close', not 'exit': by then stdout and stderr are fully read.
    const exit = once(proc, 'close').then(([code]) => ({ code: code as number | null, stdout, stderr }));
    return { proc, firstLine, exit };
  };

  it('prints its URL, serves the options it was given, and stops cleanly on SIGTERM', async () => {
    const sim = run(['--port', '0', '--latency', '5', '--defect', 'fence=1', '--rate-limit-requests', '1', '--window-ms', '60000']);
    child = sim.proc;
    const url = await sim.firstLine;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    const client = clientFor(url);
    const reply = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: batchPrompt(['Great phone']) }] });
    expect(reply.choices[0]!.message.content).toBe('```json\n[{"index":1,"sentiment":"positive"}]\n```');
    const limited = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    expect(limited).toBeInstanceOf(OpenAI.RateLimitError);
    sim.proc.kill('SIGTERM');
    const { code, stderr } = await sim.exit;
    expect(code).toBe(0);
    expect(stderr).toContain('stopped after 2 requests');
  });

  it('runs Batch API jobs with the --batch settings it was given', async () => {
    const sim = run(['--batch', 'failedLineRate=1']);
    child = sim.proc;
    const client = clientFor(await sim.firstLine);
    const line = JSON.stringify({ custom_id: 'a', method: 'POST', url: '/v1/chat/completions', body: { model: 'm', messages: [{ role: 'user', content: batchPrompt(['Great phone']) }] } });
    const file = await client.files.create({ file: await toFile(Buffer.from(line), 'in.jsonl'), purpose: 'batch' });
    const created = await client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    const job = await client.batches.retrieve(created.id);
    expect(job).toMatchObject({ status: 'completed', request_counts: { total: 1, completed: 0, failed: 1 }, output_file_id: null });
    sim.proc.kill('SIGTERM');
    expect((await sim.exit).code).toBe(0);
  });

  it('exits 2 naming a bad flag', async () => {
    const sim = run(['--latency', '10', '--bogus']);
    child = sim.proc;
    sim.firstLine.catch(() => undefined);
    const { code, stderr, stdout } = await sim.exit;
    expect(code).toBe(2);
    expect(stderr).toContain("unknown option '--bogus'");
    expect(stdout).toBe('');
  });

  it('--help prints the usage and exits 0', async () => {
    const sim = run(['--help']);
    child = sim.proc;
    sim.firstLine.catch(() => undefined);
    const { code, stdout } = await sim.exit;
    expect(code).toBe(0);
    expect(stdout).toContain('Usage: mlpredict-sim [options]');
    expect(stdout).toContain('--rate-limit-requests');
  });
});
