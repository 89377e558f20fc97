/**
 * The job folder's files, written so a process killed at any moment leaves each
 * one either as it was or complete: the content goes to a temporary file that is
 * flushed to disk and then renamed over the old one (a rename is atomic on one
 * file system).
 */
import { open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * @example
 * await writeFileAtomic(join(jobDir, 'manifest.json'), JSON.stringify(manifest));
 */
export async function writeFileAtomic(path: string, content: string): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  const handle = await open(temporary, 'w');
  try {
    await handle.writeFile(content, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/**
 * Values as JSON Lines, one per line, written atomically.
 *
 * @example
 * await writeJsonLines(join(jobDir, 'round-0.groups.jsonl'), groups);
 */
export function writeJsonLines(path: string, values: readonly unknown[]): Promise<void> {
  return writeFileAtomic(path, values.map((value) => `${JSON.stringify(value)}\n`).join(''));
}

/**
 * @example
 * const groups = await readJsonLines<PlannedGroup>(join(jobDir, 'round-0.groups.jsonl'));
 */
export async function readJsonLines<T>(path: string): Promise<T[]> {
  const text = await readFile(path, 'utf8');
  return text.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as T);
}

/** Raw lines of a file written by {@link writeFileAtomic} (no empty lines). */
export async function readLines(path: string): Promise<string[]> {
  return (await readFile(path, 'utf8')).split('\n').filter((line) => line !== '');
}

/** A JSON file's value, or undefined when the file does not exist. */
export async function readJsonIfExists<T>(path: string): Promise<T | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return JSON.parse(text) as T;
}

/** A file of the job folder, by name. */
export const inJobDir = (jobDir: string, name: string): string => join(jobDir, name);
