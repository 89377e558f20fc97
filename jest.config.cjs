/**
 * One jest config for the workspace. Tests import packages by name
 * (`@mlpredict/core`) and get their TypeScript source, so no build is needed to
 * test; `pnpm test` still builds first so type errors fail the run.
 */
const packages = ['core', 'testing', 'node', 'kafka', 'redis'];

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/packages', '<rootDir>/integration-tests'],
  testMatch: ['**/?(*.)test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '/integration-tests/bench/'],
  moduleNameMapper: {
    '^@mlpredict/core/opentelemetry$': '<rootDir>/packages/core/src/metrics/opentelemetry.ts',
    '^@mlpredict/core/internals$': '<rootDir>/packages/core/src/internals.ts',
    '^@mlpredict/core/executor$': '<rootDir>/packages/core/src/executor.ts',
    ...Object.fromEntries(packages.map((p) => [`^@mlpredict/${p}$`, `<rootDir>/packages/${p}/src/index.ts`])),
    '^@mlpredict/kafka/testing$': '<rootDir>/packages/kafka/src/testing/index.ts',
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
