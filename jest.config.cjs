/**
 * One jest config for the workspace. Tests import packages by name
 * (`@mlpredict/core`, `@mlpredict/kafka/testing`) and get their TypeScript
 * source, so no build is needed to test; `pnpm test` still builds first so type
 * errors fail the run. The mapping is read from each package's `tshy.exports`,
 * so a new package or subpath is mapped as soon as its package.json names it.
 */
const { readdirSync, readFileSync, existsSync } = require('node:fs');
const { join } = require('node:path');

/** `^@mlpredict/core/opentelemetry$` → `<rootDir>/packages/core/src/metrics/opentelemetry.ts`, for every built export. */
function sourceMappings() {
  const mappings = {};
  for (const dir of readdirSync(join(__dirname, 'packages'))) {
    const manifest = join(__dirname, 'packages', dir, 'package.json');
    if (!existsSync(manifest)) continue;
    const { name, tshy } = JSON.parse(readFileSync(manifest, 'utf8'));
    for (const [subpath, target] of Object.entries(tshy?.exports ?? {})) {
      if (typeof target !== 'string' || !target.startsWith('./src/')) continue;
      const specifier = `${name}${subpath.slice(1)}`.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      mappings[`^${specifier}$`] = `<rootDir>/packages/${dir}/${target.slice(2)}`;
    }
  }
  return mappings;
}

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/packages', '<rootDir>/integration-tests'],
  testMatch: ['**/?(*.)test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '/integration-tests/bench/'],
  moduleNameMapper: {
    ...sourceMappings(),
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: {
    '^.+\\.ts$': [
      'ts-jest',
      {
        tsconfig: {
          module: 'commonjs',
          moduleResolution: 'node10',
          target: 'ES2022',
          esModuleInterop: true,
          isolatedModules: true,
          ignoreDeprecations: '5.0',
        },
        diagnostics: false,
      },
    ],
  },
  testTimeout: 60_000,
};
