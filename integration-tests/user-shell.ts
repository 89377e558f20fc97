/**
 * Child processes as a user's shell would run them, for the suites that run the
 * READMEs and the packed packages: the package manager's lifecycle variables
 * (`npm_command`, `npm_package_*`, pnpm's) and any `OPENAI_*` of the machine left
 * out, the endpoint only where a test gives one.
 */
import { execFile } from 'node:child_process';

/**
 * @example
 * userEnv({ OPENAI_BASE_URL: sim.url, OPENAI_API_KEY: 'sk-test' }) // → process.env less npm_command, pnpm_*, OPENAI_*…, plus these
 */
export function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !/^(npm_(?!config_)|npm_config_user_agent|pnpm_|PNPM_|OPENAI_)/.test(key)),
  );
  return { ...env, ...extra };
}

export interface Run {
  /** The exit code; 1 when the command could not start or was killed. */
  code: number;
  stdout: string;
  /** stdout, then stderr: what to show when it failed. */
  output: string;
}

/**
 * Runs a command to its end without blocking the test's event loop (the
 * simulator a command talks to may live in the test process).
 *
 * @example
 * const { code, output } = await run('bash', ['-c', 'echo hi'], { cwd: dir, env: userEnv() });
 */
export function run(command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<Run> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd: options.cwd, env: options.env ?? userEnv(), maxBuffer: 64 * 1024 * 1024, timeout: 180_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, output: `${stdout}${stderr}` });
    });
  });
}
