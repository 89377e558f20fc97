/**
 * predictDeferred's job folder and options: the fingerprint, the manifest, the
 * lock, atomic writes, and the option checks that fail before anything is sent.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { z } from 'zod';
import { predictDeferred, type Model } from '@mlpredict/core';
import { fingerprintMismatch, fingerprintOf } from '../deferred/fingerprint';
import { lockJobDir, LOCK_FILE } from '../deferred/job-dir-lock';
import { writeFileAtomic } from '../deferred/job-dir-files';
import { newManifest, readManifest, saveManifest } from '../deferred/manifest';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mlpredict-folder-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('fingerprint', () => {
  const records = [{ id: 1, text: 'Great' }, 'Broke', 3];
  const base = fingerprintOf('openai:m', records, { valueField: 'sentiment', batchSize: 20 });

  it('is the same for the same records and options, whatever the key order', () => {
    expect(fingerprintOf('openai:m', [{ text: 'Great', id: 1 }, 'Broke', 3], { batchSize: 20, valueField: 'sentiment' })).toEqual(base);
  });

  it('changes with any record, their order or count, the model, or an option that shapes requests or reading', () => {
    const changed = [
      fingerprintOf('openai:m', [{ id: 1, text: 'Great!' }, 'Broke', 3], { valueField: 'sentiment', batchSize: 20 }),
      fingerprintOf('openai:m', ['Broke', { id: 1, text: 'Great' }, 3], { valueField: 'sentiment', batchSize: 20 }),
      fingerprintOf('openai:m', records.slice(0, 2), { valueField: 'sentiment', batchSize: 20 }),
    ];
    for (const fp of changed) expect(fingerprintMismatch(base, fp)).toBe('the records differ');
    const options = [
      fingerprintOf('openai:other', records, { valueField: 'sentiment', batchSize: 20 }),
      fingerprintOf('openai:m', records, { valueField: 'label', batchSize: 20 }),
      fingerprintOf('openai:m', records, { valueField: 'sentiment', batchSize: 10 }),
      fingerprintOf('openai:m', records, { valueField: 'sentiment', batchSize: 20, toText: (r: unknown) => String(r) }),
      fingerprintOf('openai:m', records, { valueField: 'sentiment', batchSize: 20, valueSchema: z.enum(['a', 'b']) }),
    ];
    for (const fp of options) expect(fingerprintMismatch(base, fp)).toBe('the options (or the model) differ');
    expect(fingerprintOf('openai:m', records, { valueField: 'sentiment', batchSize: 20, valueSchema: z.enum(['a', 'c']) }).options).not.toBe(options[4]!.options);
  });

  it('ignores what only steers this process: signal, hooks, polling, concurrency, retries', () => {
    const steering = { signal: new AbortController().signal, onStatus: () => undefined, pollIntervalMs: 5, concurrency: 16, maxRetries: 9, requestTimeoutMs: 5, jobDir: '/elsewhere', repair: 'deferred' };
    expect(fingerprintOf('openai:m', records, { valueField: 'sentiment', batchSize: 20, ...steering })).toEqual(base);
  });
});

describe('the manifest', () => {
  it('is written whole, with no temporary file left, and read back', async () => {
    const manifest = newManifest('openai:m', 3, { records: 'r', options: 'o' });
    await saveManifest(dir, manifest);
    expect(await readdir(dir)).toEqual(['manifest.json']);
    expect(await readManifest(dir)).toEqual(manifest);
    expect(await readManifest(join(dir, 'nothing-here'))).toBeUndefined();
  });

  it('refuses a file it did not write', async () => {
    await writeFile(join(dir, 'manifest.json'), '{"hello": 1}');
    await expect(readManifest(dir)).rejects.toThrow(/not a manifest this version of mlpredict can resume/);
    await writeFile(join(dir, 'manifest.json'), '{"hello": ');
    await expect(readManifest(dir)).rejects.toThrow(/is not valid JSON/);
  });

  it('an atomic write replaces the old content or leaves it as it was', async () => {
    const path = join(dir, 'f.json');
    await writeFileAtomic(path, 'old');
    await writeFileAtomic(path, 'new');
    expect(await readFile(path, 'utf8')).toBe('new');
    await expect(writeFileAtomic(join(dir, 'missing-dir', 'f.json'), 'x')).rejects.toThrow();
    expect((await readdir(dir)).sort()).toEqual(['f.json']);
  });
});

describe('the lock', () => {
  it('refuses a second holder while the first runs, and is free again once released', async () => {
    const release = await lockJobDir(dir);
    await expect(lockJobDir(dir)).rejects.toThrow(new RegExp(`in use by process ${process.pid}`));
    await release();
    const again = await lockJobDir(dir);
    await again();
    expect(await readdir(dir)).toEqual([]);
  });

  it('takes over a lock left by a process that no longer runs', async () => {
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const { hostname } = await import('node:os');
    await writeFile(join(dir, LOCK_FILE), JSON.stringify({ pid: Number(gone.stdout), host: hostname(), since: 'earlier' }));
    const release = await lockJobDir(dir);
    expect(JSON.parse(await readFile(join(dir, LOCK_FILE), 'utf8')).pid).toBe(process.pid);
    await release();
  });
});

describe('options, checked before anything is sent', () => {
  const model: Model = { name: 'test:no-batches', complete: async () => ({ text: '' }) };
  const withBatches = { ...model, batches: {} } as unknown as Model;

  it('needs a model with a Batch API', () => {
    expect(() => predictDeferred(model, ['a'], { jobDir: dir })).toThrow(/model test:no-batches has no Batch API \(model.batches\); use openAIModel/);
  });

  it('needs a jobDir, and names bad and unknown options', () => {
    expect(() => predictDeferred(withBatches, ['a'], {} as never)).toThrow(/option "jobDir" is required/);
    expect(() => predictDeferred(withBatches, ['a'], { jobDir: dir, pollIntervalMs: -1, repair: 'later' } as never)).toThrow(
      /predictDeferred: invalid options:[\s\S]*"pollIntervalMs"[\s\S]*"repair": expected one of "realtime", "deferred"/,
    );
    expect(() => predictDeferred(withBatches, ['a'], { jobDir: dir, pollIntervalMS: 5 } as never)).toThrow(/unknown option "pollIntervalMS".*pollIntervalMs/);
    expect(() => predictDeferred(withBatches, ['a'], { jobDir: dir, 'batch.size': 'x' } as never)).toThrow(/"batchSize" \(batch.size\)/);
  });

  it('refuses options a job cannot honour rather than ignore them', async () => {
    expect(() => predictDeferred(withBatches, ['a'], { jobDir: dir, votes: 3 })).toThrow(/"votes" is not supported/);
    expect(() => predictDeferred(withBatches, ['a'], { jobDir: dir, cache: true })).toThrow(/"cache" is not supported/);
    expect(() => predictDeferred(withBatches, ['a'], { jobDir: dir, deadlineMs: 10 })).toThrow(/"deadlineMs" is not supported/);
    expect(await readdir(dir)).toEqual([]);
  });
});
