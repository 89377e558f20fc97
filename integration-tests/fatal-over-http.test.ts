/**
 * Errors that cannot heal stop a run at once (issue 11, points 7–10), over real
 * HTTP through the openai SDK: a wrong key, an unknown model, an unreachable
 * endpoint; the server's `x-should-retry`; and what a long run must never do to
 * the process (listener warnings, starving the event loop).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { predictAll, createModelRuntime, type Model } from '@mlpredict/core';
import { mapChain, runTasks, type Task } from '@mlpredict/core/executor';
import { freePort, startSimulator, type Simulator } from '@mlpredict/testing';
import { modelAt, reviews } from './support';

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ latencyMs: 5 });
});
afterAll(() => sim.close());
beforeEach(() => {
  sim.configure({ latencyMs: 5, apiKey: undefined, knownModels: undefined });
  sim.resetStats();
});

const options = { batchSize: 10, batchTimeoutMs: 5, concurrency: 4, valueField: 'sentiment' };

it('a wrong API key (401) stops the run: at most 2 × concurrency requests, every result names the status, marked fatal', async () => {
  sim.configure({ apiKey: 'right' });
  const results = await predictAll(modelAt(sim.url, { apiKey: 'wrong' }), reviews(2000), options);
  expect(results).toHaveLength(2000);
  expect(results.every((r) => !r.ok && r.error.code === 'http' && r.error.status === 401 && r.error.fatal === true)).toBe(true);
  expect(results[1999]!.error!.message).toMatch(/HTTP 401: .*Incorrect API key/);
  expect(sim.stats.requests).toBeLessThanOrEqual(2 * options.concurrency);
});

it('the executor stops a model the same way: runTasks and mapChain with a wrong key send at most about their concurrency, every LLM task and item left names the 401', async () => {
  sim.configure({ apiKey: 'right' });
  const model = modelAt(sim.url, { apiKey: 'wrong' });
  const ran: number[] = [];
  const tasks: Record<string, Task> = {};
  for (let i = 0; i < 100; i++) tasks[`t${i}`] = i % 10 === 9 ? { run: () => ran.push(i) } : { prompt: `Question ${i}` };
  const r = await runTasks(model, tasks, { concurrency: 8 });
  expect(sim.stats.requests).toBeLessThanOrEqual(2 * 8);
  // Every LLM task ends with the 401, marked fatal; the functions, which need no request, still run.
  const failed = Object.values(r).filter((t) => !t.ok);
  expect(failed).toHaveLength(90);
  expect(failed.every((t) => t.error!.code === 'http' && t.error!.status === 401 && t.error!.fatal === true)).toBe(true);
  expect(ran).toHaveLength(10);
  expect(r.t99).toMatchObject({ ok: true });

  sim.resetStats();
  const items = reviews(300);
  const chain = await mapChain(items, [{ name: 'summary', run: { prompt: (x) => `Summarise: ${String(x)}` } }, { name: 'sentiment', run: { batch: { options: { valueField: 'sentiment' } } } }], {
    model,
    maxFlows: 8,
  });
  expect(sim.stats.requests).toBeLessThanOrEqual(2 * 8);
  expect(chain).toHaveLength(300);
  expect(chain.every((c) => !c.ok && c.error.status === 401 && c.error.fatal === true)).toBe(true);

  // A batch step's own fatal error stops the chain too: no item goes on to its LLM step.
  sim.resetStats();
  const batchFirst = await mapChain(items, [{ name: 'sentiment', run: { batch: { options: { valueField: 'sentiment', batchSize: 10, concurrency: 2 } } } }, { name: 'why', run: { prompt: 'Why?' } }], {
    model,
    maxFlows: 50,
  });
  expect(sim.stats.requests).toBeLessThanOrEqual(2 * 2);
  expect(batchFirst.every((c) => !c.ok && c.failedStep === 'sentiment' && c.error.status === 401 && c.error.fatal === true)).toBe(true);
});

it('an unknown model (404 model_not_found) stops the run the same way', async () => {
  sim.configure({ knownModels: ['gpt-4o-mini'] });
  const results = await predictAll(modelAt(sim.url, { model: 'gpt-4o-mni' }), reviews(2000), options);
  expect(results.every((r) => r.error?.status === 404 && r.error.fatal)).toBe(true);
  expect(results[0]!.error!.message).toMatch(/gpt-4o-mni.*does not exist/);
  expect(sim.stats.requests).toBeLessThanOrEqual(2 * options.concurrency);
});

it('a closed port: every record settles within seconds, the message naming the address and errno', async () => {
  const closedPort = await freePort();
  const started = Date.now();
  const results = await predictAll(modelAt(`http://127.0.0.1:${closedPort}/v1`), reviews(2000), { ...options, retry: { strategy: 'fixed', baseDelayMs: 200, maxDelayMs: 200 } });
  expect(Date.now() - started).toBeLessThan(20_000);
  expect(results).toHaveLength(2000);
  expect(results.every((r) => !r.ok)).toBe(true);
  const messages = new Set(results.map((r) => r.error!.message));
  for (const message of messages) expect(message).toMatch(new RegExp(`ECONNREFUSED 127\\.0\\.0\\.1:${closedPort}`));
  // Past the first few batches the connection circuit refuses at once instead of retrying each batch.
  expect(results.filter((r) => r.error!.code === 'circuit_open').length).toBeGreaterThan(1500);
});

it('the connection circuit half-opens after its cool-down and a long-lived run resumes', async () => {
  // A proxy that refuses connections until told otherwise, in front of the simulator.
  let up = false;
  const proxyPort = await freePort();
  const runtime = createModelRuntime({ circuit: { threshold: 2, cooldownMs: 200 } });
  const refusing = modelAt(`http://127.0.0.1:${proxyPort}/v1`);
  const model: Model = { ...refusing, runtime, complete: (request) => (up ? modelAt(sim.url).complete(request) : refusing.complete(request)) };
  const first = await predictAll(model, reviews(40), { ...options, concurrency: 1, maxRetries: 0 });
  expect(first.filter((r) => r.error?.code === 'circuit_open').length).toBeGreaterThan(0);
  up = true;
  expect((await predictAll(model, reviews(10), options)).every((r) => r.error?.code === 'circuit_open')).toBe(true); // still cooling down
  await new Promise((r) => setTimeout(r, 250));
  const after = await predictAll(model, reviews(40), options);
  expect(after.every((r) => r.ok)).toBe(true);
});

it('obeys x-should-retry: false on a 500 and true on a 400', async () => {
  let calls = 0;
  const { server, url } = await fixedServer((res) => {
    calls++;
    const status = calls === 1 ? 500 : 400;
    res.writeHead(status, { 'content-type': 'application/json', 'x-should-retry': status === 500 ? 'false' : 'true' });
    res.end(JSON.stringify({ error: { message: `status ${status}`, type: 'x' } }));
  });
  try {
    const noRetry = await predictAll(modelAt(url), ['a'], { ...options, maxRetries: 3, retry: { strategy: 'fixed', baseDelayMs: 1, maxDelayMs: 1 } });
    expect(calls).toBe(1);
    expect(noRetry[0]!.error).toMatchObject({ status: 500, attempts: 1 });
    const retried = await predictAll(modelAt(url), ['a'], { ...options, maxRetries: 2, retry: { strategy: 'fixed', baseDelayMs: 1, maxDelayMs: 1 } });
    expect(calls).toBe(4); // the 400 said retry: three attempts, none fatal until the last says so
    expect(retried[0]!.error).toMatchObject({ status: 400, attempts: 3 });
  } finally {
    await new Promise((r) => server.close(r));
  }
});

it('prints no MaxListenersExceededWarning with concurrency above 10', async () => {
  const warnings: Error[] = [];
  const onWarning = (w: Error) => warnings.push(w);
  process.on('warning', onWarning);
  try {
    sim.configure({ latencyMs: 20 });
    const results = await predictAll(modelAt(sim.url), reviews(400), { ...options, batchSize: 5, concurrency: 32, deadlineMs: 60_000 });
    expect(results.every((r) => r.ok)).toBe(true);
    await new Promise((r) => setImmediate(r));
  } finally {
    process.off('warning', onWarning);
  }
  expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
});

it('a synchronous model still lets timers run during a long run', async () => {
  const model: Model = {
    name: 'sync',
    complete: async (request) => {
      const lines = [...request.messages.at(-1)!.content.matchAll(/^Input (\d+): /gm)];
      return { text: JSON.stringify(lines.map((m) => ({ index: Number(m[1]), answer: 'x' }))) };
    },
  };
  let ticks = 0;
  const timer = setInterval(() => ticks++, 0);
  try {
    const results = await predictAll(model, Array.from({ length: 20_000 }, (_, i) => `r${i}`), { batchSize: 10, concurrency: 8 });
    expect(results).toHaveLength(20_000);
  } finally {
    clearInterval(timer);
  }
  expect(ticks).toBeGreaterThan(3);
});


async function fixedServer(answer: (res: import('node:http').ServerResponse) => void): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => answer(res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1` };
}
