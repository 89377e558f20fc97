/**
 * A throwaway redis-server for the scale-out scenario: a free port, bound to
 * 127.0.0.1, persistence off, stopped (and waited for) at the end.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { createClient } from '@redis/client';

const binary = process.env.REDIS_SERVER ?? 'redis-server';

/** Whether a redis-server can be run here (the scenario is skipped otherwise). */
export function redisServerAvailable() {
  return spawnSync(binary, ['--version'], { stdio: 'ignore' }).status === 0;
}

/** Starts one; resolves to { url, stop() } once it answers PING. */
export async function startRedisServer() {
  const port = await freePort();
  const child = spawn(binary, ['--port', String(port), '--save', '', '--appendonly', 'no', '--bind', '127.0.0.1'], { stdio: 'ignore' });
  const url = `redis://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    const client = createClient({ url });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.ping();
      client.destroy();
      break;
    } catch (error) {
      client.destroy();
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`redis-server on port ${port} did not start: ${error.message}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  return {
    url,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}
