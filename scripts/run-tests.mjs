#!/usr/bin/env node
// Runs the whole jest suite and ends with the plain line "N passed, N failed",
// read from jest's --json result. Exits non-zero when a test failed or none ran.
// Extra arguments go to jest (e.g. `pnpm test -- packages/core`).
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const jestBin = require.resolve('jest/bin/jest');
const out = '.jest-results.json';
rmSync(out, { force: true });

const args = process.argv.slice(2).filter((a) => a !== '--');
const run = spawnSync(process.execPath, [jestBin, '--json', `--outputFile=${out}`, ...args], { stdio: 'inherit' });

let result;
try {
  result = JSON.parse(readFileSync(out, 'utf8'));
} catch {
  console.error(`jest wrote no result (exit ${run.status}${run.signal ? `, signal ${run.signal}` : ''})`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}
const passed = result.numPassedTests;
const failed = result.numFailedTests + (result.numRuntimeErrorTestSuites ?? 0);
const skipped = result.numPendingTests + (result.numTodoTests ?? 0);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || passed === 0 || run.status !== 0 ? 1 : 0);
