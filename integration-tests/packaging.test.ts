/**
 * The packages as a user gets them. Each one is packed (`pnpm pack`, which turns
 * `workspace:^` into a real range), the tarballs are checked (publint, attw, what
 * they hold) and installed with npm into a fresh app in the system's temp folder,
 * next to rxjs 7.8.1 (not the workspace's copy); there the app imports them as
 * ESM, requires them as CommonJS, runs their commands, compiles strict TypeScript
 * under `nodenext` and `bundler`, and runs the README's first example against the
 * simulator.
 *
 * It reads the built `dist/` (`pnpm test` builds first) and reaches the npm
 * registry for the dependencies (from npm's cache when it can).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator, type Simulator } from '@mlpredict/testing';
import { readmeBlocks, runnableBlocks } from './readme-blocks';
import { run, userEnv, type Run } from './user-shell';

const root = join(__dirname, '..');

interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  exports: Record<string, unknown>;
  bin?: Record<string, string>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

/** Every publishable package under packages/: a new one is checked without touching this file. */
const packages = readdirSync(join(root, 'packages'))
  .filter((dir) => existsSync(join(root, 'packages', dir, 'package.json')))
  .map((dir) => ({ dir, manifest: JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8')) as Manifest }))
  .filter(({ manifest }) => !manifest.private);
const names = packages.map((p) => p.manifest.name);
const tarballName = (m: Manifest) => `${m.name.replace(/^@/, '').replace('/', '-')}-${m.version}.tgz`;

/** Runs a command that must succeed; its output is the error otherwise. */
async function ok(command: string, args: string[], cwd: string, env?: NodeJS.ProcessEnv): Promise<string> {
  const result = await run(command, args, { cwd, env });
  if (result.code !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.code}:\n${result.output}`);
  return result.stdout;
}

const tsc = (project: string, cwd: string) => run(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', project], { cwd });
const npmInstall = (app: string, specs: string[]) => ok('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', ...specs], app);
const write = (file: string, text: string) => {
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, text);
};

/** Every installed copy of a package under a node_modules folder, nested ones included. */
function copiesOf(name: string, nodeModules: string): string[] {
  const installed = readdirSync(nodeModules, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .flatMap((e) => (e.name.startsWith('@') ? readdirSync(join(nodeModules, e.name)).map((sub) => `${e.name}/${sub}`) : [e.name]));
  return installed.flatMap((pkg) => {
    const nested = join(nodeModules, pkg, 'node_modules');
    return [...(pkg === name ? [join(nodeModules, pkg)] : []), ...(existsSync(nested) ? copiesOf(name, nested) : [])];
  });
}

let tmp: string;
let app: string;
const tarball = (m: Manifest) => join(tmp, 'tarballs', tarballName(m));

beforeAll(async () => {
  const unbuilt = packages.filter(({ dir }) => !existsSync(join(root, 'packages', dir, 'dist')));
  if (unbuilt.length) throw new Error(`not built: ${unbuilt.map((p) => p.dir).join(', ')}; run \`pnpm build\` first (pnpm test does)`);
  tmp = mkdtempSync(join(tmpdir(), 'mlpredict-packaging-'));
  for (const { dir } of packages) await ok('pnpm', ['pack', '--pack-destination', join(tmp, 'tarballs')], join(root, 'packages', dir));
  app = join(tmp, 'app');
  write(join(app, 'package.json'), JSON.stringify({ name: 'mlpredict-packaging-app', private: true, type: 'module' }, null, 2));
  // What a user of every package brings; kafkajs comes later, to see the packages work without it.
  await npmInstall(app, [...packages.map(({ manifest }) => tarball(manifest)), 'rxjs@7.8.1', 'zod@^4.1.0', '@opentelemetry/api@^1.9.0', '@types/node@^20.19.0']);
}, 300_000);

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('the packed tarballs', () => {
  it.each(packages.map((p) => [p.manifest.name, p.manifest] as const))(
    '%s holds LICENSE, README.md, both builds with their types, and no tests, source maps or sources',
    async (_name, manifest) => {
      const files = (await ok('tar', ['-tzf', tarball(manifest)], tmp)).split('\n').filter(Boolean).map((f) => f.replace(/^package\//, ''));
      expect(files).toEqual(
        expect.arrayContaining([
          'LICENSE',
          'README.md',
          'package.json',
          'dist/esm/index.js',
          'dist/esm/index.d.ts',
          'dist/esm/package.json',
          'dist/commonjs/index.js',
          'dist/commonjs/index.d.ts',
          'dist/commonjs/package.json',
        ]),
      );
      expect(files.filter((f) => /__tests__|\.test\.|\.map$|^src\/|tsbuildinfo|^\.tshy/.test(f))).toEqual([]);
      const license = await ok('tar', ['-xzOf', tarball(manifest), 'package/LICENSE'], tmp);
      expect(license).toBe(readFileSync(join(root, 'LICENSE'), 'utf8'));
      expect(license).toContain('Apache License');
    },
  );

  it.each(packages.map((p) => [p.manifest.name, p.manifest] as const))(
    '%s declares real ranges: ^ between our packages, rxjs as a peer',
    async (_name, manifest) => {
      const packed = JSON.parse(await ok('tar', ['-xzOf', tarball(manifest), 'package/package.json'], tmp)) as Manifest;
      expect(JSON.stringify(packed)).not.toContain('workspace:');
      for (const [dep, range] of Object.entries(packed.dependencies ?? {})) {
        if (dep.startsWith('@mlpredict/')) expect(range).toBe(`^${manifest.version}`);
      }
      expect(packed.dependencies?.rxjs).toBeUndefined();
      expect(packed.peerDependencies?.rxjs).toMatch(/^\^7\./);
      expect(Object.keys(packed.exports).filter((key) => key !== './package.json').length).toBeGreaterThan(0);
    },
  );

  it('makes kafkajs an optional peer of @mlpredict/kafka', async () => {
    const kafka = packages.find((p) => p.manifest.name === '@mlpredict/kafka')!.manifest;
    const packed = JSON.parse(await ok('tar', ['-xzOf', tarball(kafka), 'package/package.json'], tmp)) as Manifest;
    expect(packed.dependencies?.kafkajs).toBeUndefined();
    expect(packed.peerDependencies?.kafkajs).toMatch(/^\^2\./);
    expect(packed.peerDependenciesMeta?.kafkajs).toEqual({ optional: true });
  });

  it.each(packages.map((p) => [p.manifest.name, p.manifest] as const))('%s passes publint (warnings fail too)', async (_name, manifest) => {
    const result = await run(join(root, 'node_modules', '.bin', 'publint'), ['run', tarball(manifest), '--strict'], { cwd: tmp });
    if (result.code !== 0) throw new Error(result.output);
    expect(result.output).toContain('Linting...');
    expect(result.output).not.toMatch(/^(Errors|Warnings):/m);
  }, 60_000);

  it.each(packages.map((p) => [p.manifest.name, p.manifest] as const))(
    '%s passes attw: types resolve for ESM and CommonJS under node16 and bundler',
    async (_name, manifest) => {
      // The node16 profile leaves out node10 resolution, which knows no subpath exports.
      const result = await run(
        join(root, 'node_modules', '.bin', 'attw'),
        [tarball(manifest), '--profile', 'node16', '--no-definitely-typed', '--format', 'ascii', '--no-color'],
        { cwd: tmp },
      );
      if (result.code !== 0) throw new Error(result.output);
      // One green line per entry point (package.json included) and resolution mode.
      const entries = Object.keys(manifest.exports).length;
      for (const mode of ['node16 (from CJS): 🟢', 'node16 (from ESM): 🟢', 'bundler: 🟢']) {
        expect([mode, result.output.split(mode).length - 1]).toEqual([mode, entries]);
      }
    },
    60_000,
  );
});

/** Every entry point of every package, loaded one way: its file and its export names. */
type Loaded = Record<string, { file: string; names: string[] }>;

const LOAD_ESM = `
import { readFileSync } from 'node:fs';
const loaded = {};
for (const name of ${JSON.stringify(names)}) {
  const { exports } = JSON.parse(readFileSync(new URL('./node_modules/' + name + '/package.json', import.meta.url), 'utf8'));
  for (const key of Object.keys(exports).filter((k) => k !== './package.json')) {
    const spec = name + key.slice(1);
    loaded[spec] = { file: import.meta.resolve(spec), names: Object.keys(await import(spec)).sort() };
  }
}
console.log(JSON.stringify(loaded));
`;

const LOAD_CJS = `
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const loaded = {};
for (const name of ${JSON.stringify(names)}) {
  const { exports } = JSON.parse(readFileSync(join(__dirname, 'node_modules', name, 'package.json'), 'utf8'));
  for (const key of Object.keys(exports).filter((k) => k !== './package.json')) {
    const spec = name + key.slice(1);
    loaded[spec] = { file: require.resolve(spec), names: Object.keys(require(spec)).sort() };
  }
}
console.log(JSON.stringify(loaded));
`;

describe('installed with npm in a fresh app, without kafkajs', () => {
  let esm: Loaded;

  it('imports every entry point as ESM, from dist/esm', async () => {
    write(join(app, 'load-esm.mjs'), LOAD_ESM);
    esm = JSON.parse(await ok(process.execPath, ['load-esm.mjs'], app)) as Loaded;
    expect(Object.keys(esm)).toEqual(expect.arrayContaining(['@mlpredict/core', '@mlpredict/core/opentelemetry', '@mlpredict/kafka/testing']));
    for (const [spec, { file, names }] of Object.entries(esm)) {
      expect([spec, file]).toEqual([spec, expect.stringContaining('/dist/esm/')]);
      expect([spec, names.length > 0]).toEqual([spec, true]);
    }
    expect(esm['@mlpredict/core']!.names).toEqual(expect.arrayContaining(['mlPredict', 'predictAll', 'openAIModel']));
    expect(esm['@mlpredict/core/opentelemetry']!.names).toContain('openTelemetryHooks');
    expect(esm['@mlpredict/kafka/testing']!.names).toContain('FakeKafka');
  });

  it('requires every entry point as CommonJS, from dist/commonjs, with the same exports', async () => {
    write(join(app, 'load-cjs.cjs'), LOAD_CJS);
    const cjs = JSON.parse(await ok(process.execPath, ['load-cjs.cjs'], app)) as Loaded;
    expect(Object.keys(cjs).sort()).toEqual(Object.keys(esm).sort());
    for (const [spec, { file, names }] of Object.entries(cjs)) {
      expect([spec, file]).toEqual([spec, expect.stringContaining('/dist/commonjs/')]);
      expect([spec, names]).toEqual([spec, esm[spec]!.names]);
    }
  });

  it('runs mlpredict-sim and mlpredict from node_modules/.bin over a CSV file', async () => {
    const csv = readFileSync(join(root, 'examples', 'data', 'reviews.csv'), 'utf8').split('\r\n').slice(0, 21).join('\r\n') + '\r\n';
    write(join(app, 'reviews.csv'), csv);
    const sim = spawn(join(app, 'node_modules', '.bin', 'mlpredict-sim'), ['--port', '0'], { cwd: app, env: userEnv() });
    try {
      const [chunk] = (await once(sim.stdout, 'data')) as [Buffer];
      const url = chunk.toString().split('\n')[0]!;
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
      const out = await ok(
        join(app, 'node_modules', '.bin', 'mlpredict'),
        ['--input', 'reviews.csv', '--field', 'text', '--value-field', 'sentiment', '--no-progress', '--output-format', 'jsonl'],
        app,
        userEnv({ OPENAI_BASE_URL: url, OPENAI_API_KEY: 'sk-packaging' }),
      );
      const rows = out.split('\n').filter(Boolean).map((line) => JSON.parse(line) as { value?: string; error?: unknown });
      expect(rows).toHaveLength(20);
      expect(rows.filter((r) => !['positive', 'negative', 'neutral'].includes(r.value!))).toEqual([]);
    } finally {
      sim.kill('SIGTERM');
      if (sim.exitCode === null) await once(sim, 'exit');
    }
  }, 60_000);

  it('type-checks code on @mlpredict/kafka without kafkajs, with skipLibCheck on (as `tsc --init` sets it)', async () => {
    write(
      join(app, 'no-kafkajs', 'kafka-app.ts'),
      `import { createKafkaPredictPipeline } from '@mlpredict/kafka';
import { FakeKafka } from '@mlpredict/kafka/testing';
import { ruleModel, sentimentOf } from '@mlpredict/testing';

const kafka = new FakeKafka({ topics: { reviews: 1, results: 1 } });
const pipeline = createKafkaPredictPipeline({ kafka, groupId: 'g', inputTopic: 'reviews', outputTopic: 'results', model: ruleModel(sentimentOf) });
const state: string = pipeline.stats.state;
console.log(state);
`,
    );
    write(
      join(app, 'no-kafkajs', 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', strict: true, skipLibCheck: true, noEmit: true, types: ['node'] },
        files: ['kafka-app.ts'],
      }),
    );
    const result = await tsc('no-kafkajs', app);
    expect(result.output).toBe('');
    expect(result.code).toBe(0);
  }, 120_000);
});

describe('with kafkajs installed too', () => {
  let sim: Simulator;
  let compiled: Run;

  beforeAll(async () => {
    await npmInstall(app, ['kafkajs@^2.2.4']);
    sim = await startSimulator({ seed: 1 });
    write(
      join(app, 'src', 'esm-app.ts'),
      `import { Readable } from 'node:stream';
import { from, lastValueFrom, toArray } from 'rxjs';
import { mlPredict } from '@mlpredict/core';
import { createKafkaPredictPipeline } from '@mlpredict/kafka';
import { createPredictStream } from '@mlpredict/node';
import { ruleModel, sentimentOf } from '@mlpredict/testing';

const model = ruleModel(sentimentOf);
// rxjs here is the app's 7.8.1: the operator must type-check against it.
const piped = await lastValueFrom(from(['Great phone', 'Broke in a day']).pipe(mlPredict(model, { valueField: 'sentiment' }), toArray()));
const streamed = await Readable.from(['It is a phone']).pipe(createPredictStream(model, { valueField: 'sentiment' })).toArray();
console.log(JSON.stringify({
  piped: piped.map((r) => r.value),
  streamed: streamed.map((r: { value?: unknown }) => r.value),
  core: import.meta.resolve('@mlpredict/core'),
  kafka: typeof createKafkaPredictPipeline,
}));
`,
    );
    write(
      join(app, 'src', 'cjs-app.cts'),
      `import { from, lastValueFrom, toArray } from 'rxjs';
import { mlPredict } from '@mlpredict/core';
import { openTelemetryHooks } from '@mlpredict/core/opentelemetry';
import { FakeKafka } from '@mlpredict/kafka/testing';
import { ruleModel, sentimentOf } from '@mlpredict/testing';

async function main(): Promise<void> {
  const options = { valueField: 'sentiment', ...openTelemetryHooks() };
  const results = await lastValueFrom(from(['Great phone', 'Broke in a day']).pipe(mlPredict(ruleModel(sentimentOf), options), toArray()));
  const kafka = new FakeKafka({ topics: { reviews: 2 } });
  kafka.append('reviews', [{ key: 'a', value: 'x' }]);
  console.log(JSON.stringify({
    values: results.map((r) => r.value),
    core: require.resolve('@mlpredict/core'),
    fake: kafka.messages('reviews').length,
  }));
}
void main();
`,
    );
    const first = runnableBlocks(readmeBlocks(join(root, 'README.md'), 'README.md'), 'typescript')[0]!;
    write(join(app, 'src', 'readme-first.ts'), first.code);
    write(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'es2022',
          strict: true,
          // Our .d.ts files are checked too, against the real rxjs, openai, zod and kafkajs types.
          skipLibCheck: false,
          rootDir: 'src',
          outDir: 'out',
          types: ['node'],
        },
        include: ['src'],
      }),
    );
    compiled = await tsc('.', app);
  }, 300_000);

  afterAll(async () => {
    await sim?.close();
  });

  it("compiles strict TypeScript under nodenext with skipLibCheck off: an ES module, a CommonJS module and the README's first example", () => {
    expect(compiled.output).toBe('');
    expect(compiled.code).toBe(0);
  });

  it('runs the compiled ES module: pipe(mlPredict(…)) on the app’s rxjs, and the Node stream', async () => {
    const out = JSON.parse(await ok(process.execPath, ['out/esm-app.js'], app)) as Record<string, unknown>;
    expect(out).toEqual({
      piped: ['positive', 'negative'],
      streamed: ['neutral'],
      core: expect.stringContaining('/node_modules/@mlpredict/core/dist/esm/index.js'),
      kafka: 'function',
    });
  });

  it('runs the compiled CommonJS module, which requires dist/commonjs', async () => {
    const out = JSON.parse(await ok(process.execPath, ['out/cjs-app.cjs'], app)) as Record<string, unknown>;
    expect(out).toEqual({
      values: ['positive', 'negative'],
      core: expect.stringContaining('/node_modules/@mlpredict/core/dist/commonjs/index.js'),
      fake: 1,
    });
  });

  it("runs the README's first example against the simulator", async () => {
    const out = await ok(process.execPath, ['out/readme-first.js'], app, userEnv({ OPENAI_BASE_URL: sim.url, OPENAI_API_KEY: 'sk-packaging' }));
    expect(out.trim().split('\n')).toEqual([expect.stringMatching(/^0 positive$/), expect.stringMatching(/^1 negative$/), expect.stringMatching(/^2 neutral$/)]);
  });

  it('compiles under bundler resolution (module preserve)', async () => {
    write(
      join(app, 'bundler', 'app.ts'),
      `import { from } from 'rxjs';
import { mlPredict, openAIModel, type PredictResult } from '@mlpredict/core';
import { openTelemetryHooks } from '@mlpredict/core/opentelemetry';
import { createKafkaPredictPipeline } from '@mlpredict/kafka';
import { FakeKafka } from '@mlpredict/kafka/testing';
import { createPredictStream } from '@mlpredict/node';
import { startSimulator } from '@mlpredict/testing';

const model = openAIModel({ model: 'gpt-4o-mini' });
from(['a']).pipe(mlPredict(model, { valueField: 'sentiment', ...openTelemetryHooks() })).subscribe((r: PredictResult) => r.seq);
export const parts = [createKafkaPredictPipeline, FakeKafka, createPredictStream, startSimulator];
`,
    );
    write(
      join(app, 'bundler', 'tsconfig.json'),
      JSON.stringify({
        // The .d.ts files are the ESM ones the nodenext build above checked with skipLibCheck off.
        compilerOptions: { module: 'preserve', moduleResolution: 'bundler', target: 'es2022', strict: true, skipLibCheck: true, noEmit: true, types: ['node'] },
        files: ['app.ts'],
      }),
    );
    const result = await tsc('bundler', app);
    expect(result.output).toBe('');
    expect(result.code).toBe(0);
  }, 120_000);

  it('leaves one rxjs in the app: its own 7.8.1', () => {
    expect(copiesOf('rxjs', join(app, 'node_modules'))).toEqual([join(app, 'node_modules', 'rxjs')]);
    expect(JSON.parse(readFileSync(join(app, 'node_modules', 'rxjs', 'package.json'), 'utf8')).version).toBe('7.8.1');
  });

  it('infers the value type from a z.enum valueSchema: results[0].value is the enum or undefined, with no cast', async () => {
    write(
      join(app, 'value-type', 'app.ts'),
      `import { z } from 'zod';
import { openAIModel, predictAll } from '@mlpredict/core';

const results = await predictAll(openAIModel({ model: 'gpt-4o-mini' }), ['Great phone'], {
  valueField: 'sentiment',
  valueSchema: z.enum(['positive', 'negative']),
});
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
// Fails to compile unless the type is exactly the enum's values or undefined.
const exact: Equal<typeof results[0]['value'], 'positive' | 'negative' | undefined> = true;
const value: 'positive' | 'negative' | undefined = results[0].value;
console.log(exact, value);
`,
    );
    write(
      join(app, 'value-type', 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', strict: true, skipLibCheck: false, noEmit: true, types: ['node'] },
        files: ['app.ts'],
      }),
    );
    const result = await tsc('value-type', app);
    expect(result.output).toBe('');
    expect(result.code).toBe(0);
  }, 120_000);
});
