#!/usr/bin/env node
// Runs the `mlpredict` CLI the way you would from a shell, against the bundled
// simulator (started here) unless OPENAI_BASE_URL or OPENAI_API_KEY is set:
// first --dry-run (prints the first prompt, sends nothing), then a real run over a
// small CSV with one malformed row, which comes out as a bad_input row in its place.
//
//   pnpm build && node examples/node-cli.mjs
//
// In your project, after `npm i @mlpredict/node`, the same commands are:
//   npx mlpredict -i reviews.csv --field text --value-field sentiment --dry-run
//   npx mlpredict -i reviews.csv -o sentiments.jsonl --field text --value-field sentiment
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSimulator } from '@mlpredict/testing';

const cli = fileURLToPath(new URL('../packages/node/dist/esm/cli.mjs', import.meta.url));
const real = Boolean(process.env.OPENAI_BASE_URL || process.env.OPENAI_API_KEY);
const sim = real ? undefined : await startSimulator({ latencyMs: 100 });
const env = sim ? { ...process.env, OPENAI_BASE_URL: sim.url, OPENAI_API_KEY: 'simulator' } : process.env;

const dir = await mkdtemp(join(tmpdir(), 'mlpredict-cli-example-'));
const csv = join(dir, 'reviews.csv');
await writeFile(
  csv,
  [
    'id,text',
    '1,"Great sound, love it"',
    '2,Broke after a week. Terrible.',
    '3,this row,has,too many fields',
    '4,It arrived on Tuesday',
    '5,"Comfortable and sturdy, worth it"',
  ].join('\n'),
);

/** Runs the CLI with its output shown here; resolves to its exit status. */
function mlpredict(args) {
  console.log(`\n$ mlpredict ${args.map((a) => (/\s/.test(a) ? JSON.stringify(a) : a)).join(' ')}`);
  // spawn, not spawnSync: the simulator answers from this very process.
  const child = spawn(process.execPath, [cli, ...args], { env, stdio: ['ignore', 'inherit', 'inherit'] });
  return new Promise((resolve) => child.once('close', resolve));
}

const flags = ['--input', csv, '--field', 'text', '--value-field', 'sentiment', '--instruction', 'Classify the sentiment of each review as positive, negative or neutral.'];
try {
  await mlpredict([...flags, '--dry-run']);
  const status = await mlpredict([...flags, '--batch-size', '10']);
  console.log(`\nexit status ${status}${sim ? `; the simulator saw ${sim.stats.chatRequests} request(s)` : ''}`);
} finally {
  await rm(dir, { recursive: true, force: true });
  await sim?.close();
}
