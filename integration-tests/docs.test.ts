/**
 * The READMEs can't drift from the code. Their options and error-code tables must
 * list what the code accepts and emits, and every code block either runs here
 * (TypeScript through tsx after a strict type-check, or under jest when it is a
 * test file importing `@jest/globals`; JavaScript as an `.mjs` through node; shell
 * through bash) against the simulator, or says why not (`<!-- not run: … -->`, or
 * `text` for output).
 *
 * The blocks run as a user's code would: in a scratch folder outside the
 * repository whose `node_modules` holds the packages (those of integration-tests,
 * which resolve to the built `dist/`, so build first), with `examples/data` at
 * hand, `OPENAI_BASE_URL` / `OPENAI_API_KEY` pointing at the simulator and
 * `REDIS_URL` at a redis-server of their own (started on a free port, persistence off).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse as parseCsv } from 'csv-parse/sync';
import { PREDICT_ERROR_CODES } from '@mlpredict/core';
import { optionsSchema, DOTTED_KEYS, RESPONSE_FORMAT_NAMES } from '@mlpredict/core/internals';
import { startSimulator, type Simulator } from '@mlpredict/testing';
import { startRedis, type TestRedis } from '../packages/redis/src/__tests__/redis-server';
import { markingProblem, readmeBlocks, runnableBlocks, type CodeBlock } from './readme-blocks';
import { run, userEnv } from './user-shell';

const root = join(__dirname, '..');
/** The READMEs whose blocks must run; a README added here is held to the same rule. */
const READMES = [
  'README.md',
  'packages/core/README.md',
  'packages/core/docs/cost.md',
  'packages/core/docs/deferred.md',
  'packages/core/docs/executor.md',
  'packages/core/docs/functions.md',
  'packages/core/docs/tuning.md',
  'packages/node/README.md',
  'packages/testing/README.md',
  'packages/testing/docs/testing-pipelines.md',
  'packages/kafka/README.md',
  'packages/redis/README.md',
];
const PACKAGES = ['core', 'node', 'testing', 'kafka', 'redis'];

const readme = readFileSync(join(root, 'README.md'), 'utf8');
const section = (title: string) => readme.split(`## ${title}`)[1]!.split('\n## ')[0]!;
const blocks = READMES.flatMap((file) => readmeBlocks(join(root, file), file));

describe('the README tables', () => {
  it('lists every option of the schema, with its dotted key', () => {
    const table = section('Options');
    const rows = table.split('\n').filter((l) => l.startsWith('| `'));
    const documented = new Set(rows.flatMap((row) => [...row.split('|')[1]!.matchAll(/`(\w+)`/g)].map((m) => m[1]!)));
    expect([...Object.keys(optionsSchema.shape)].filter((name) => !documented.has(name))).toEqual([]);
    for (const [dotted, name] of Object.entries(DOTTED_KEYS)) {
      const row = rows.find((r) => r.startsWith(`| \`${name}\``));
      expect(row).toContain(`\`${dotted}\``);
    }
  });

  it('lists every error code', () => {
    const table = section('Results');
    expect(PREDICT_ERROR_CODES.filter((code) => !table.includes(`| \`${code}\``))).toEqual([]);
  });

  it('names every response format', () => {
    const table = section('Options');
    for (const name of RESPONSE_FORMAT_NAMES) expect(table).toContain(`'${name}'`);
  });
});

/** A JavaScript block is saved and run as the ES module its docs say to save it as (`node example.mjs`); TypeScript through tsx. */
const isJavaScript = (block: CodeBlock) => ['js', 'javascript', 'mjs'].includes(block.lang);
/** A block that imports `@jest/globals` is a jest test file, and runs under jest (ts-jest, as CommonJS). */
const isJestTest = (block: CodeBlock) => !isJavaScript(block) && /from '@jest\/globals'/.test(block.code);
const fileOf = (block: CodeBlock) =>
  `${block.where.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}.${isJavaScript(block) ? 'mjs' : isJestTest(block) ? 'test.ts' : 'ts'}`;

describe('the README code blocks', () => {
  let sim: Simulator;
  let redis: TestRedis;
  let dir: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    const unbuilt = PACKAGES.filter((p) => !existsSync(join(root, 'packages', p, 'dist', 'esm', 'index.js')));
    if (unbuilt.length) throw new Error(`not built: ${unbuilt.join(', ')}; run \`pnpm build\` first (pnpm test does)`);
    sim = await startSimulator({ seed: 1 });
    redis = await startRedis();
    dir = mkdtempSync(join(tmpdir(), 'mlpredict-readme-'));
    symlinkSync(join(root, 'integration-tests', 'node_modules'), join(dir, 'node_modules'), 'dir');
    mkdirSync(join(dir, 'examples'));
    symlinkSync(join(root, 'examples', 'data'), join(dir, 'examples', 'data'), 'dir');
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'readme-blocks', private: true, type: 'module' }));
    // For the blocks that are jest test files: ts-jest, compiling to CommonJS, as a typical project's jest set-up.
    const tsJest = { tsconfig: { module: 'commonjs', moduleResolution: 'node10', target: 'es2022', esModuleInterop: true, isolatedModules: true, ignoreDeprecations: '5.0' }, diagnostics: false };
    writeFileSync(
      join(dir, 'jest.config.cjs'),
      `module.exports = ${JSON.stringify({ rootDir: dir, testEnvironment: 'node', transform: { '^.+\\.ts$': [require.resolve('ts-jest'), tsJest] } })};\n`,
    );
    // npx must take @mlpredict/node from node_modules, never from the registry.
    env = userEnv({ OPENAI_BASE_URL: sim.url, OPENAI_API_KEY: 'sk-readme', REDIS_URL: redis.url, npm_config_offline: 'true' });
  });

  afterAll(async () => {
    await sim?.close();
    await redis?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('says what each block is: runnable, "not run" with a reason, or output', () => {
    const problems = blocks.flatMap((b) => {
      const problem = markingProblem(b);
      return problem ? [`${b.where} ${problem}`] : [];
    });
    expect(problems).toEqual([]);
    expect(runnableBlocks(blocks, 'typescript').length).toBeGreaterThan(0);
  });

  it('type-checks every TypeScript block (strict, nodenext, as ES modules)', async () => {
    const typescript = blocks.filter((b) => b.kind === 'typescript' && b.notRun === undefined && !isJavaScript(b));
    for (const block of typescript) writeFileSync(join(dir, fileOf(block)), block.code);
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'nodenext',
          moduleResolution: 'nodenext',
          moduleDetection: 'force',
          target: 'es2022',
          lib: ['es2022'],
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          types: ['node'],
          typeRoots: [join(root, 'node_modules', '@types')],
        },
        files: typescript.map(fileOf),
      }),
    );
    const tsc = await run(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', dir], { cwd: dir, env });
    // tsc names the file of each error; the file is named after the block's README line.
    expect(tsc.output).toBe('');
    expect(tsc.code).toBe(0);
  }, 120_000);

  const typescriptBlocks = runnableBlocks(blocks, 'typescript');
  it.each(typescriptBlocks.map((b) => [b.where, b] as const))('runs %s', async (_where, block) => {
    const file = join(dir, fileOf(block));
    writeFileSync(file, block.code);
    const args = isJavaScript(block)
      ? [file]
      : isJestTest(block)
        ? [require.resolve('jest/bin/jest'), '--config', join(dir, 'jest.config.cjs'), '--ci', '--runTestsByPath', file]
        : ['--import', pathToFileURL(require.resolve('tsx')).href, file];
    const result = await run(process.execPath, args, { cwd: dir, env });
    if (result.code !== 0) throw new Error(`${block.where} exited ${result.code}:\n${result.output}`);
    expect(result.code).toBe(0);
  }, 120_000);

  const shellBlocks = runnableBlocks(blocks, 'shell');
  it.each(shellBlocks.map((b) => [b.where, b] as const))('runs %s', async (_where, block) => {
    const result = await run('bash', ['-e', '-o', 'pipefail', '-c', block.code], { cwd: dir, env });
    if (result.code !== 0) throw new Error(`${block.where} exited ${result.code}:\n${result.output}`);
    expect(result.code).toBe(0);
  }, 120_000);

  it('names only root scripts that exist, and `pnpm mlpredict` and `pnpm sim` start', () => {
    const scripts = Object.keys(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts);
    // pnpm's own commands, as the READMEs use them.
    const builtins = new Set(['install', 'i', 'add', 'exec', 'dlx', 'run', 'pack', 'publish', 'remove', 'update', 'why', 'list']);
    const named = READMES.flatMap((file) =>
      [...readFileSync(join(root, file), 'utf8').matchAll(/\bpnpm (?:run )?([a-z][\w-]*(?::[\w-]+)*)/g)].map((m) => m[1]!),
    );
    expect([...new Set(named)].filter((name) => !builtins.has(name) && !scripts.includes(name))).toEqual([]);
    expect(execFileSync('pnpm', ['--silent', 'mlpredict', '--help'], { cwd: root, env: userEnv({}), encoding: 'utf8' })).toContain(
      'Usage: mlpredict',
    );
    expect(execFileSync('pnpm', ['--silent', 'sim', '--help'], { cwd: root, env: userEnv({}), encoding: 'utf8' })).toContain(
      'Usage: mlpredict-sim',
    );
  }, 60_000);
});

it('ships examples/data/reviews.csv: the first 200 reviews of reviews.jsonl, as CSV', () => {
  const jsonl = readFileSync(join(root, 'examples', 'data', 'reviews.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .slice(0, 200)
    .map((line) => JSON.parse(line) as { id: number; text: string; product: string });
  const csv = parseCsv(readFileSync(join(root, 'examples', 'data', 'reviews.csv')), { columns: true }) as Record<string, string>[];
  expect(csv).toEqual(jsonl.map(({ id, text, product }) => ({ id: String(id), text, product })));
});

describe('readmeBlocks', () => {
  const markdown = [
    '# A readme',
    '',
    '```ts',
    "console.log('runs');",
    '```',
    '',
    '<!-- not run: a server that runs until stopped -->',
    '```sh',
    'pnpm sim',
    '```',
    '',
    '```text',
    '0 positive',
    '```',
    '',
    '<!-- not run -->',
    '```js',
    'x()',
    '```',
    '',
    '```',
    'what is this',
    '```',
    '',
    '```python',
    'print(1)',
    '```',
    '',
    '<!-- a comment that is no marker -->',
    '```bash',
    'echo hi',
    '```',
  ].join('\n');
  let dir: string;
  let file: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'mlpredict-md-'));
    file = join(dir, 'README.md');
    writeFileSync(file, markdown);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads each fence with its line, language, kind and "not run" reason', () => {
    const read = readmeBlocks(file, 'R.md').map(({ where, lang, kind, notRun, code }) => ({ where, lang, kind, notRun, code }));
    expect(read).toEqual([
      { where: 'R.md:3', lang: 'ts', kind: 'typescript', notRun: undefined, code: "console.log('runs');\n" },
      { where: 'R.md:8', lang: 'sh', kind: 'shell', notRun: 'a server that runs until stopped', code: 'pnpm sim\n' },
      { where: 'R.md:12', lang: 'text', kind: 'shown', notRun: undefined, code: '0 positive\n' },
      { where: 'R.md:17', lang: 'js', kind: 'typescript', notRun: '', code: 'x()\n' },
      { where: 'R.md:21', lang: '', kind: undefined, notRun: undefined, code: 'what is this\n' },
      { where: 'R.md:25', lang: 'python', kind: undefined, notRun: undefined, code: 'print(1)\n' },
      { where: 'R.md:30', lang: 'bash', kind: 'shell', notRun: undefined, code: 'echo hi\n' },
    ]);
  });

  it('flags blocks with no language, a language it cannot place, or "not run" without a reason', () => {
    const read = readmeBlocks(file, 'R.md');
    expect(read.map((b) => markingProblem(b) ?? 'ok')).toEqual([
      'ok',
      'ok',
      'ok',
      'says "not run" without a reason: <!-- not run: why -->',
      'has no language: fence it as ts, sh, or text (output)',
      "has the language 'python', which the docs test can neither run nor show",
      'ok',
    ]);
    expect(runnableBlocks(read, 'typescript').map((b) => b.where)).toEqual(['R.md:3']);
    expect(runnableBlocks(read, 'shell').map((b) => b.where)).toEqual(['R.md:30']);
  });
});
