/**
 * Running `mlpredict` for the tests: the built executable in a child process (core
 * and node built first, one suite at a time, so parallel suites never write
 * `dist/` together), or `runCli` in this process with streams to read back.
 */
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdirSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { runCli, type CliIO } from '../cli/run-cli';

export const root = resolve(__dirname, '../../../..');
export const cliPath = join(root, 'packages/node/dist/esm/cli.mjs');

/** Builds packages/node (and what it references) unless it is up to date; safe to call from parallel suites. */
export async function buildCli(): Promise<void> {
  const lock = join(tmpdir(), `mlpredict-build-${Buffer.from(root).toString('hex').slice(-24)}.lock`);
  const until = Date.now() + 120_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (Date.now() > until) throw new Error(`another build holds ${lock}; remove it if no test is running`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    for (const pkg of ['core', 'node']) execFileSync('pnpm', ['run', 'build'], { cwd: join(root, 'packages', pkg), stdio: 'pipe' });
  } finally {
    rmdirSync(lock);
  }
}

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A started CLI process: `done` settles when it exits. */
export interface CliProcess {
  child: ChildProcessWithoutNullStreams;
  done: Promise<CliRun>;
}

/** Starts `node dist/esm/cli.mjs …args` with `stdin` as its input (without blocking this process: the simulator lives here). */
export function startCli(args: string[], options: { stdin?: string; env?: Record<string, string> } = {}): CliProcess {
  const child = spawn(process.execPath, [cliPath, ...args], { cwd: root, env: { PATH: process.env.PATH ?? '', ...options.env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  child.stdin.end(options.stdin ?? '');
  const done = new Promise<CliRun>((resolvePromise, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolvePromise({ code, signal, stdout, stderr }));
  });
  return { child, done };
}

/** Runs the CLI to its end. */
export function mlpredict(args: string[], options: { stdin?: string; env?: Record<string, string> } = {}): Promise<CliRun> {
  return startCli(args, options).done;
}

/** JSON Lines → values. */
export const jsonLines = (text: string) => text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, any>);

/** What an in-process run printed, and its status. */
export interface InProcessRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `runCli` here, with `stdin` as its input and stdout / stderr collected.
 *
 * @example
 * const run = await runInProcess(['--version'], { version: '1.2.3' }); // → { code: 0, stdout: '1.2.3\n', stderr: '' }
 */
export async function runInProcess(args: string[], io: Partial<Omit<CliIO, 'stdin'>> & { stdin?: string | Readable } = {}): Promise<InProcessRun> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk) => (out += chunk));
  stderr.on('data', (chunk) => (err += chunk));
  const stdin = io.stdin instanceof Readable ? io.stdin : Readable.from([io.stdin ?? ''].filter((s) => s !== ''));
  const code = await runCli(args, { env: {}, progressIntervalMs: 60_000, ...io, stdin, stdout, stderr });
  return { code, stdout: out, stderr: err };
}
