/**
 * One process at a time per job folder: two runs on one manifest would both see
 * a part not yet submitted and both submit it. The lock is a file holding the
 * owner's pid, created exclusively; a lock left by a process that no longer runs
 * (killed, crashed) is taken over, which is what resuming after a kill needs.
 */
import { hostname } from 'node:os';
import { open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';

export const LOCK_FILE = 'lock';

interface LockOwner {
  pid: number;
  host: string;
  since: string;
}

/**
 * Takes the folder's lock; throws an Error naming the live owner when another
 * process holds it. Returns the release.
 *
 * @example
 * const release = await lockJobDir(jobDir);
 * try { … } finally { await release(); }
 */
export async function lockJobDir(jobDir: string): Promise<() => Promise<void>> {
  const path = join(jobDir, LOCK_FILE);
  const me: LockOwner = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(path, 'wx');
      try {
        await handle.writeFile(JSON.stringify(me));
      } finally {
        await handle.close();
      }
      return () => rm(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = await readOwner(path);
    if (owner && isAlive(owner)) {
      throw new Error(
        `predictDeferred: jobDir ${jobDir} is in use by process ${owner.pid} on ${owner.host} (since ${owner.since}); ` +
          `wait for it to end, or delete ${path} if you are sure it no longer runs`,
      );
    }
    // Left behind by a process that is gone: take it over.
    await rm(path, { force: true });
  }
  throw new Error(`predictDeferred: could not take the lock ${path}: another process keeps taking it`);
}

async function readOwner(path: string): Promise<LockOwner | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as LockOwner;
  } catch {
    // Unreadable (a process killed while writing it): nobody holds it.
    return undefined;
  }
}

/** True when the owner may still run: on another host we can't tell, so it counts as alive. */
function isAlive(owner: LockOwner): boolean {
  if (owner.host !== hostname()) return true;
  if (owner.pid === process.pid) return true;
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
