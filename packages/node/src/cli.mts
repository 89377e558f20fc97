#!/usr/bin/env node
/**
 * The `mlpredict` executable. All the work is in `cli/run-cli.ts`; this file
 * only hands it the process's streams, its signals and its version.
 */
import { readFileSync } from 'node:fs';
import { runCli } from './cli/run-cli.js';

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

// `mlpredict … | head`: once the reader has gone, there is no one to write for; stop quietly.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

// runCli listens for SIGINT and SIGTERM while it runs (stop reading, finish what is in flight,
// a second signal gives that up); outside a run they keep their usual effect.
process.exitCode = await runCli(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  signals: process,
  version,
});
