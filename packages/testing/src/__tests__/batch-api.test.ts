/** The Batch API (`/v1/files`, `/v1/batches`) through the real openai SDK, over HTTP. */
import OpenAI, { toFile } from 'openai';
import { embeddingFor, sentimentOf, startSimulator, type Simulator } from '../index';
import { answersOf, chatLine, downloadLines, handClock, jsonl, submit, uploadJsonl } from './support/batch-files';
import { clientFor, TEXTS } from './support/batch-prompts';

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

const failure = (promise: Promise<unknown>) => promise.then(() => undefined, (e: unknown) => e as InstanceType<typeof OpenAI.APIError>);

/** `count` request lines of `perLine` records each, named `line-<n>`. */
function requestLines(count: number, perLine: number) {
  return Array.from({ length: count }, (_, n) => {
    const texts = Array.from({ length: perLine }, (_, i) => `${TEXTS[(n * perLine + i) % TEXTS.length]} (review ${n * perLine + i})`);
    return { line: chatLine(`line-${n}`, texts), texts };
  });
}

it('runs a job from upload to output: statuses in order, lines answered as they fall due, every answer right', async () => {
  const clock = handClock();
  sim = await startSimulator({ batch: { clock: clock.now, validationMs: 100, completionDelayMs: 1000, finalizingMs: 100 } });
  const client = clientFor(sim.url);
  const requests = requestLines(10, 4);
  const created = await submit(client, requests.map((r) => r.line), { job: 'nightly' });
  expect(created).toMatchObject({ object: 'batch', status: 'validating', endpoint: '/v1/chat/completions', completion_window: '24h', metadata: { job: 'nightly' } });
  expect(created.request_counts).toEqual({ total: 0, completed: 0, failed: 0 });
  expect(created.expires_at! - created.created_at).toBe(24 * 60 * 60);

  const at = async (ms: number) => {
    clock.at(ms);
    return client.batches.retrieve(created.id);
  };
  expect((await at(99)).status).toBe('validating');
  const started = await at(100);
  expect(started.status).toBe('in_progress');
  expect(started.request_counts).toEqual({ total: 10, completed: 0, failed: 0 });
  // Line i of 10 falls due at 100 + 1000·(i + 1)/10: four by 550.
  const halfway = await at(550);
  expect(halfway.request_counts).toEqual({ total: 10, completed: 4, failed: 0 });
  expect(halfway.output_file_id).toBeNull();
  expect(sim.stats.batchLinesAnswered).toBe(4);
  expect((await at(1100)).status).toBe('finalizing');
  const done = await at(1200);
  expect(done.status).toBe('completed');
  expect(done.request_counts).toEqual({ total: 10, completed: 10, failed: 0 });
  expect(done.completed_at).toBe(Math.floor((1_800_000_000_000 + 1200) / 1000));
  expect(done.error_file_id).toBeNull();
  expect(done.model).toBe('sim-model');

  const output = await downloadLines(client, done.output_file_id);
  expect(output.map((line) => line.custom_id).sort()).toEqual(requests.map((r) => r.line.custom_id).sort());
  // OpenAI promises no order, and the simulator holds it to that by default.
  expect(output.map((line) => line.custom_id)).not.toEqual(requests.map((r) => r.line.custom_id));
  for (const line of output) {
    const { texts } = requests[Number(line.custom_id.slice('line-'.length))]!;
    expect(line.error).toBeNull();
    expect(line.response).toMatchObject({ status_code: 200, request_id: expect.stringMatching(/^req_/), body: { object: 'chat.completion', model: 'sim-model' } });
    expect(line.id).toMatch(/^batch_req_/);
    expect(answersOf(line)).toEqual(texts.map((text, i) => ({ index: i + 1, sentiment: sentimentOf(text) })));
  }
  const tokens = output.reduce((sum, line) => sum + line.response!.body.usage.prompt_tokens, 0);
  expect(done.usage).toMatchObject({ input_tokens: tokens, total_tokens: tokens + done.usage!.output_tokens });
  expect(sim.stats).toMatchObject({ filesUploaded: 1, batchesCreated: 1, batchLinesAnswered: 10, batchLinesFailed: 0, batchPromptTokens: tokens, chatRequests: 0 });
  expect(await client.files.retrieve(done.output_file_id!)).toMatchObject({ purpose: 'batch_output', filename: `${created.id}_output.jsonl` });
});

it('fails the share of lines failedLineRate says, seeded: the same lines on every run, each a 500 in the error file', async () => {
  const requests = requestLines(400, 1).map((r) => r.line);
  const failedLines = async () => {
    const server = await startSimulator({ seed: 5, batch: { failedLineRate: 0.25, outputOrder: 'input' } });
    try {
      const client = clientFor(server.url);
      const job = await client.batches.retrieve((await submit(client, requests)).id);
      expect(job.status).toBe('completed');
      const output = await downloadLines(client, job.output_file_id);
      const errors = await downloadLines(client, job.error_file_id);
      expect(job.request_counts).toEqual({ total: 400, completed: output.length, failed: errors.length });
      expect([...output, ...errors].map((line) => line.custom_id).sort()).toEqual(requests.map((line) => line.custom_id).sort());
      for (const line of errors) {
        expect(line.error).toBeNull();
        expect(line.response).toMatchObject({ status_code: 500, body: { error: { type: 'server_error', code: 'server_error' } } });
      }
      expect(server.stats).toMatchObject({ batchLinesFailed: errors.length, batchLinesAnswered: output.length });
      return errors.map((line) => line.custom_id);
    } finally {
      await server.close();
    }
  };
  const first = await failedLines();
  // Binomial(400, 0.25): mean 100, sd ≈ 8.7; 4 sd either side.
  expect(first.length).toBeGreaterThan(100 - 35);
  expect(first.length).toBeLessThan(100 + 35);
  expect(await failedLines()).toEqual(first);
});

it('expires a job not done within expireAfterMs: lines run by then are in the output, the rest batch_expired', async () => {
  const clock = handClock();
  sim = await startSimulator({ batch: { clock: clock.now, completionDelayMs: 1000, expireAfterMs: 450 } });
  const client = clientFor(sim.url);
  const requests = requestLines(10, 2);
  const created = await submit(client, requests.map((r) => r.line));
  clock.at(449);
  expect((await client.batches.retrieve(created.id)).status).toBe('in_progress');
  // Asked long after: what ran is fixed by the expiry time, not by when anyone looked.
  clock.at(5000);
  const expired = await client.batches.retrieve(created.id);
  expect(expired).toMatchObject({ status: 'expired', expired_at: Math.floor((1_800_000_000_000 + 450) / 1000), request_counts: { total: 10, completed: 4, failed: 6 } });
  const output = await downloadLines(client, expired.output_file_id);
  const errors = await downloadLines(client, expired.error_file_id);
  expect(output.map((line) => line.custom_id).sort()).toEqual(['line-0', 'line-1', 'line-2', 'line-3']);
  expect(errors).toHaveLength(6);
  for (const line of errors) {
    expect(line.response).toBeNull();
    expect(line.error).toEqual({ code: 'batch_expired', message: 'This request could not be executed before the completion window expired.' });
  }
  expect(sim.stats).toMatchObject({ batchLinesAnswered: 4, batchLinesExpired: 6 });
});

it('cancels a running job: cancelling, then cancelled with the lines run so far; a finished job cannot be cancelled', async () => {
  const clock = handClock();
  sim = await startSimulator({ batch: { clock: clock.now, completionDelayMs: 1000, cancellingMs: 100 } });
  const client = clientFor(sim.url);
  const created = await submit(client, requestLines(10, 1).map((r) => r.line));
  clock.at(550);
  const cancelling = await client.batches.cancel(created.id);
  expect(cancelling).toMatchObject({ status: 'cancelling', cancelling_at: Math.floor((1_800_000_000_000 + 550) / 1000), cancelled_at: null, output_file_id: null });
  clock.at(649);
  expect((await client.batches.retrieve(created.id)).status).toBe('cancelling');
  clock.at(2000);
  const cancelled = await client.batches.retrieve(created.id);
  expect(cancelled).toMatchObject({ status: 'cancelled', request_counts: { total: 10, completed: 5, failed: 5 } });
  expect(await downloadLines(client, cancelled.output_file_id)).toHaveLength(5);
  const errors = await downloadLines(client, cancelled.error_file_id);
  expect(errors.map((line) => line.error?.code)).toEqual(Array(5).fill('batch_cancelled'));
  // A second cancel is harmless; it changes nothing.
  expect((await client.batches.cancel(created.id)).status).toBe('cancelled');
  expect(sim.stats).toMatchObject({ batchesCancelled: 1, batchLinesCancelled: 5 });

  const finished = await submit(client, requestLines(2, 1).map((r) => r.line));
  clock.at(10_000);
  expect((await client.batches.retrieve(finished.id)).status).toBe('completed');
  const refused = await failure(client.batches.cancel(finished.id));
  expect(refused).toBeInstanceOf(OpenAI.BadRequestError);
  expect(refused?.message).toMatch(/Cannot cancel a batch with status 'completed'/);
});

it('fails a job whose input file is malformed, with one error per bad line', async () => {
  sim = await startSimulator();
  const client = clientFor(sim.url);
  const good = chatLine('a', ['Great']);
  const created = await submit(client, [
    good,
    '{"custom_id": "b", "method": "POST"', // cut off
    { ...chatLine('a', ['Again']) }, // the same custom_id
    { ...chatLine('c', ['x']), url: '/v1/embeddings' },
    chatLine('d', ['y'], { model: 'another-model' }),
    { ...chatLine('e', ['z']), method: 'GET' },
    { custom_id: 'f', method: 'POST', url: '/v1/chat/completions' },
  ]);
  const job = await client.batches.retrieve(created.id);
  expect(job.status).toBe('failed');
  expect(job.failed_at).not.toBeNull();
  expect(job.output_file_id).toBeNull();
  expect(job.request_counts).toEqual({ total: 0, completed: 0, failed: 0 });
  expect(job.errors?.data?.map((e) => [e.line, e.code])).toEqual([
    [2, 'invalid_json_line'],
    [3, 'duplicate_custom_id'],
    [4, 'url_mismatch'],
    [5, 'model_mismatch'],
    [6, 'invalid_value'],
    [7, 'missing_required_parameter'],
  ]);
  expect(job.errors?.data?.[0]?.message).toBe('This line is not parseable as valid JSON.');

  const empty = await client.batches.retrieve((await submit(client, [])).id);
  expect(empty.status).toBe('failed');
  expect(empty.errors?.data?.map((e) => e.code)).toEqual(['empty_file']);
  expect(sim.stats.batchLinesAnswered).toBe(0);
});

it('holds a file to 50,000 requests: one more fails the job with too_many_tasks', async () => {
  // Small lines, built in memory: ~6 MB. A long completionDelayMs keeps the 50,000
  // lines from being answered, so only the validation is timed.
  const clock = handClock();
  sim = await startSimulator({ batch: { clock: clock.now, completionDelayMs: 1e9 } });
  const client = clientFor(sim.url);
  const line = (n: number) => `{"custom_id":"r${n}","method":"POST","url":"/v1/chat/completions","body":{"model":"m","messages":[{"role":"user","content":"hi"}]}}`;
  const lines = Array.from({ length: 50_001 }, (_, n) => line(n));
  const over = await client.batches.retrieve((await submit(client, lines)).id);
  expect(over.status).toBe('failed');
  expect(over.errors?.data).toEqual([expect.objectContaining({ code: 'too_many_tasks', line: null, message: expect.stringMatching(/50001 requests; a batch may hold at most 50000/) })]);

  const atLimit = await client.batches.retrieve((await submit(client, lines.slice(0, 50_000))).id);
  expect(atLimit.status).toBe('in_progress');
  expect(atLimit.request_counts?.total).toBe(50_000);
});

it('refuses uploads over batch.maxFileBytes and batch files not named .jsonl, with a 400', async () => {
  sim = await startSimulator({ batch: { maxFileBytes: 1000 } });
  const client = clientFor(sim.url);
  const tooLarge = await failure(uploadJsonl(client, 'x'.repeat(1001)));
  expect(tooLarge).toBeInstanceOf(OpenAI.BadRequestError);
  expect(tooLarge).toMatchObject({ status: 400, code: 'file_too_large', param: 'file' });
  expect(tooLarge?.message).toMatch(/1001 bytes; a batch input file may be at most 1000 bytes/);
  await expect(uploadJsonl(client, 'x'.repeat(1000))).resolves.toMatchObject({ bytes: 1000 });
  expect(await failure(uploadJsonl(client, '{}', 'requests.txt'))).toMatchObject({ status: 400, message: expect.stringMatching(/Must be \.jsonl/) });
  // Other purposes are held to OpenAI's general limit only.
  const notes = await client.files.create({ file: await toFile(Buffer.from('y'.repeat(5000)), 'notes.txt'), purpose: 'user_data' });
  expect(notes).toMatchObject({ purpose: 'user_data', bytes: 5000, expires_at: null });
  expect(sim.stats.filesUploaded).toBe(2);
});

it('files: retrieve, list by purpose, content as uploaded, delete; unknown ids are 404s', async () => {
  sim = await startSimulator();
  const client = clientFor(sim.url);
  const text = jsonl([chatLine('a', ['Great'])]);
  const file = await uploadJsonl(client, text);
  expect(file).toMatchObject({ object: 'file', purpose: 'batch', filename: 'requests.jsonl', bytes: Buffer.byteLength(text), status: 'processed' });
  await client.files.create({ file: await toFile(Buffer.from('notes'), 'notes.txt'), purpose: 'user_data' });
  expect(await client.files.retrieve(file.id)).toEqual(file);
  expect(await (await client.files.content(file.id)).text()).toBe(text);
  const batchFiles: string[] = [];
  for await (const listed of client.files.list({ purpose: 'batch' })) batchFiles.push(listed.id);
  expect(batchFiles).toEqual([file.id]);

  expect(await client.files.delete(file.id)).toEqual({ id: file.id, object: 'file', deleted: true });
  const gone = await failure(client.files.retrieve(file.id));
  expect(gone).toBeInstanceOf(OpenAI.NotFoundError);
  expect(gone?.message).toMatch(`No such File object: ${file.id}`);
  expect(await failure(client.files.content(file.id))).toBeInstanceOf(OpenAI.NotFoundError);
  expect(await failure(client.batches.retrieve('batch_nope'))).toBeInstanceOf(OpenAI.NotFoundError);
});

it('refuses to create a job from a missing file, a file of another purpose, or an unsupported endpoint or window', async () => {
  sim = await startSimulator();
  const client = clientFor(sim.url);
  const create = (params: Partial<OpenAI.BatchCreateParams>) =>
    failure(client.batches.create({ input_file_id: 'file-none', endpoint: '/v1/chat/completions', completion_window: '24h', ...params } as OpenAI.BatchCreateParams));
  expect(await create({})).toMatchObject({ status: 400, param: 'input_file_id' });
  const notes = await client.files.create({ file: await toFile(Buffer.from('{}'), 'notes.jsonl'), purpose: 'user_data' });
  expect(await create({ input_file_id: notes.id })).toMatchObject({ status: 400, message: expect.stringMatching(/purpose 'batch'/) });
  const input = await uploadJsonl(client, jsonl([chatLine('a', ['Great'])]));
  expect(await create({ input_file_id: input.id, endpoint: '/v1/responses' })).toMatchObject({ status: 400, param: 'endpoint' });
  expect(await create({ input_file_id: input.id, completion_window: '1h' as '24h' })).toMatchObject({ status: 400, param: 'completion_window' });
  expect(await create({ input_file_id: input.id, metadata: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v'])) })).toMatchObject({ status: 400, param: 'metadata' });
  expect(sim.stats.batchesCreated).toBe(0);
});

it('answers lines like the live endpoint: the same defects, and the context window as a 400 line', async () => {
  sim = await startSimulator({ contextTokens: 200, defects: { fence: 1 }, batch: { outputOrder: 'input' } });
  const client = clientFor(sim.url);
  const fits = chatLine('fits', ['Great phone']);
  const tooLong = chatLine('too-long', ['Great phone'], { max_tokens: 500 });
  const job = await client.batches.retrieve((await submit(client, [fits, tooLong])).id);
  const [answered] = await downloadLines(client, job.output_file_id);
  expect(answered!.response!.body.choices[0].message.content).toMatch(/^```json\n\[\{"index":1,"sentiment":"positive"\}\]\n```$/);
  const [refused] = await downloadLines(client, job.error_file_id);
  expect(refused).toMatchObject({ custom_id: 'too-long', error: null, response: { status_code: 400, body: { error: { code: 'context_length_exceeded', param: 'messages' } } } });
  expect(refused!.response!.body.error.message).toMatch(/^This model's maximum context length is 200 tokens\. However, you requested \d+ tokens/);
  expect(sim.stats).toMatchObject({ contextExceeded: 1, defects: { fence: 1 }, batchLinesFailed: 1 });
});

it('runs /v1/embeddings jobs: one vector per input, as the live endpoint answers', async () => {
  sim = await startSimulator({ batch: { outputOrder: 'input' } });
  const client = clientFor(sim.url);
  const lines = [
    { custom_id: 'e1', method: 'POST', url: '/v1/embeddings', body: { model: 'emb', input: ['alpha', 'beta'] } },
    { custom_id: 'e2', method: 'POST', url: '/v1/embeddings', body: { model: 'emb', input: 'gamma', dimensions: 3 } },
  ];
  const file = await uploadJsonl(client, jsonl(lines));
  const created = await client.batches.create({ input_file_id: file.id, endpoint: '/v1/embeddings', completion_window: '24h' });
  const job = await client.batches.retrieve(created.id);
  const output = await downloadLines(client, job.output_file_id);
  expect(output.map((line) => line.response!.body.data.map((d: { embedding: number[] }) => d.embedding))).toEqual([
    [embeddingFor('alpha'), embeddingFor('beta')],
    [embeddingFor('gamma', 3)],
  ]);
});

it('lists jobs newest first, page by page', async () => {
  sim = await startSimulator();
  const client = clientFor(sim.url);
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) ids.push((await submit(client, [chatLine('a', [`text ${i}`])])).id);
  const firstPage = await client.batches.list({ limit: 2 });
  expect(firstPage.data.map((b) => b.id)).toEqual([ids[4], ids[3]]);
  expect(firstPage.has_more).toBe(true);
  const all: string[] = [];
  for await (const job of client.batches.list({ limit: 2 })) all.push(job.id);
  expect(all).toEqual([...ids].reverse());
});

it('runs on real time when no clock is given: a second client (a resumed process) polls the same job to its end', async () => {
  sim = await startSimulator({ batch: { completionDelayMs: 150 } });
  const created = await submit(clientFor(sim.url), requestLines(3, 2).map((r) => r.line));
  const resumed = clientFor(sim.url);
  const seen = new Set<string>();
  let job = await resumed.batches.retrieve(created.id);
  while (job.status !== 'completed') {
    seen.add(job.status);
    await new Promise((resolve) => setTimeout(resolve, 20));
    job = await resumed.batches.retrieve(created.id);
  }
  // Only what can come before the end: no failure, expiry or cancellation on the way.
  expect([...seen].every((status) => status === 'in_progress' || status === 'finalizing')).toBe(true);
  expect(job.request_counts).toEqual({ total: 3, completed: 3, failed: 0 });
  expect(await downloadLines(resumed, job.output_file_id)).toHaveLength(3);
  expect(sim.stats.batchesCreated).toBe(1);
});
