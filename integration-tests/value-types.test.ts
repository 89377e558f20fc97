/**
 * Runs the type tests in `types/value-types.ts` through the TypeScript compiler,
 * against the built packages (what users get): the value type follows
 * `valueSchema` through every public entry. A wrong inference fails to compile.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

it('infers each result’s value type from valueSchema everywhere it is taken', () => {
  const tsc = require.resolve('typescript/bin/tsc');
  const run = spawnSync(process.execPath, [tsc, '-p', join(__dirname, 'types', 'tsconfig.json')], { encoding: 'utf8' });
  expect(run.stdout + run.stderr).toBe('');
  expect(run.status).toBe(0);
}, 120_000);
