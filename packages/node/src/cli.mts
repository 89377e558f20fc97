#!/usr/bin/env node
/**
 * The `mlpredict` executable. All the work is in `cli/run-cli.ts`; this file
 * only hands it the process's streams and turns Ctrl-C into an abort.
 */
import { runCli } from './cli/run-cli.js';

const interrupted = new AbortController();
// The first Ctrl-C aborts requests in flight and prints the summary; a second one exits at once.
process.once('SIGINT', () => {
  interrupted.abort();
  process.once('SIGINT', () => process.exit(130));
});

// `mlpredict … | head`: once the reader has gone, there is no one to write for; stop quietly.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

process.exitCode = await runCli(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  signal: interrupted.signal,
});
