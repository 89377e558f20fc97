/**
 * A real `redis-server` for tests: started on a free port with persistence off,
 * bound to 127.0.0.1, awaited until it answers PING, and stopped (SIGTERM, then
 * waited for) so jest exits on its own. `stop()` and `start()` again on the same
 * port model an outage.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createConnection } from 'node:net';
import { freePort } from '@mlpredict/testing';

export interface TestRedis {
  readonly port: number;
  readonly url: string;
  /** Starts the server (again) on the same port; resolves once it answers PING. */
  start(): Promise<void>;
  /** Stops the server; resolves once the process has exited. */
  stop(): Promise<void>;
  /** Freezes the server (SIGSTOP): connections stay open but nothing is answered, as in a network partition. */
  freeze(): void;
  /** Lets a frozen server answer again (SIGCONT). */
  thaw(): void;
}

const READY_TIMEOUT_MS = 10_000;

/**
 * @example
 * const redis = await startRedis();
 * // … redisQuota({ url: redis.url, … })
 * await redis.stop();
 */
export async function startRedis(): Promise<TestRedis> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const server: TestRedis = {
    port,
    url: `redis://127.0.0.1:${port}`,
    async start() {
      if (child) return;
      const binary = process.env.REDIS_SERVER ?? 'redis-server';
      const started = spawn(binary, ['--port', String(port), '--save', '', '--appendonly', 'no', '--bind', '127.0.0.1'], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      child = started;
      let stderr = '';
      started.stderr?.on('data', (chunk) => (stderr += chunk));
      const failed = new Promise<never>((_, reject) => {
        started.once('error', (error) => reject(new Error(`cannot run ${binary} (install it: apt-get install redis-server): ${error.message}`)));
        started.once('exit', (code) => reject(new Error(`${binary} exited with ${code} before answering: ${stderr}`)));
      });
      failed.catch(() => undefined);
      await Promise.race([waitForPong(port), failed]);
    },
    freeze() {
      child?.kill('SIGSTOP');
    },
    thaw() {
      child?.kill('SIGCONT');
    },
    async stop() {
      const running = child;
      child = undefined;
      if (!running || running.exitCode !== null) return;
      const exited = new Promise((resolve) => running.once('exit', resolve));
      running.kill('SIGTERM');
      await exited;
    },
  };
  await server.start();
  return server;
}


/** Resolves when a raw `PING` on `port` gets `+PONG`; retries every 20 ms up to READY_TIMEOUT_MS. */
async function waitForPong(port: number): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (await pingOnce(port)) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`redis-server on port ${port} did not answer PING within ${READY_TIMEOUT_MS} ms`);
}

function pingOnce(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    let reply = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}
