/**
 * A long run stopped and continued, end to end: the built `mlpredict` in a child
 * process, a real SIGINT (or SIGKILL), real files, the simulator over HTTP. The
 * second run must leave every input row answered once, in order, and send only
 * the rows the first did not write.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { sentimentOf, startSimulator, type Simulator } from '@mlpredict/testing';
import { buildCli, jsonLines, mlpredict, startCli, type CliRun } from './cli-process';
import { reviews, waitFor } from './support';

const ROWS = 2000;
const BATCH = 20;

describe('mlpredict --resume after an interrupted run (the built CLI)', () => {
  let sim: Simulator;
  let dir: string;
  let env: Record<string, string>;

  beforeAll(buildCli, 240_000);
  beforeEach(async () => {
    // Enough latency that the run is still going when the signal comes; batches that fill, so requests are countable.
    sim = await startSimulator({ latencyMs: 15 });
    dir = await mkdtemp(join(tmpdir(), 'mlpredict-resume-'));
    env = { OPENAI_BASE_URL: sim.url, OPENAI_API_KEY: 'test-key' };
  });
  afterEach(async () => {
    await sim.close();
    await rm(dir, { recursive: true, force: true });
  });

  const flags = (input: string, output: string) => [input, '-o', output, '-f', 'text', '--value-field', 'sentiment', '--instruction', 'Classify the sentiment of each review.', '-b', String(BATCH), '-c', '2', '--batch-timeout-ms', '5000', '--no-progress'];

  /** Starts a run and sends it `signal` once it has sent `afterRequests` requests. */
  async function interrupted(args: string[], signal: NodeJS.Signals, afterRequests = 20): Promise<CliRun> {
    const run = startCli(args, { env });
    await waitFor(() => sim.stats.chatRequests >= afterRequests, 'the first run to be midway');
    run.child.kill(signal);
    return run.done;
  }

  /** The count `interrupted after N of M rows` reports, checked against the rows in the file. */
  function rowsDone(run: CliRun): number {
    const match = /interrupted \(SIGINT\) after (\d+) of 2000 rows; rerun with --resume/.exec(run.stderr);
    expect(match).not.toBeNull();
    const done = Number(match![1]);
    expect(done).toBeGreaterThan(0);
    expect(done).toBeLessThan(ROWS);
    return done;
  }

  it('JSONL: SIGINT midway writes the finished rows; --resume adds exactly the rest, each input once, in order', async () => {
    const texts = reviews(ROWS);
    const input = join(dir, 'reviews.jsonl');
    const output = join(dir, 'sentiments.jsonl');
    await writeFile(input, texts.map((text, id) => JSON.stringify({ id, text })).join('\n') + '\n');

    const first = await interrupted(flags(input, output), 'SIGINT');
    expect(first.code).toBe(130);
    const done = rowsDone(first);
    expect(first.stderr).toMatch(new RegExp(`mlpredict: ${done} rows, 0 errors, \\d+ requests`));
    // The prefix is complete rows only, and every record sent was finished and written, none given up.
    expect(jsonLines(await readFile(output, 'utf8'))).toHaveLength(done);
    expect(sim.stats.recordsSeen).toBe(done);
    const requestsBefore = sim.stats.chatRequests;

    const second = await mlpredict([...flags(input, output), '--resume'], { env });
    expect(second.code).toBe(0);
    expect(second.stderr).toContain(`mlpredict: 2000 rows (${done} from an earlier run), 0 errors`);
    const rows = jsonLines(await readFile(output, 'utf8'));
    expect(rows).toEqual(texts.map((text, id) => ({ input: { id, text }, value: sentimentOf(text) })));
    expect(sim.stats.recordsSeen).toBe(ROWS);
    const requests = sim.stats.chatRequests - requestsBefore;
    const needed = Math.ceil((ROWS - done) / BATCH);
    expect(requests).toBeGreaterThanOrEqual(needed);
    expect(requests).toBeLessThanOrEqual(needed + 2);
  });

  it('CSV with quoted newlines, commas and quotes: SIGINT midway, --resume, and the CSV output holds every record once, in order, columns unchanged', async () => {
    const texts = reviews(ROWS).map((text, i) => (i % 3 === 0 ? `${text},\nsaid "again" on a second line` : text));
    const products = texts.map((_, i) => (i % 4 === 0 ? `Lamp, "Deluxe"` : `Item ${i}`));
    const input = join(dir, 'reviews.csv');
    const output = join(dir, 'sentiments.csv');
    const quote = (cell: string) => `"${cell.replace(/"/g, '""')}"`;
    await writeFile(input, ['id,text,product', ...texts.map((text, id) => `${id},${quote(text)},${quote(products[id]!)}`)].join('\r\n') + '\r\n');

    const first = await interrupted(flags(input, output), 'SIGINT');
    expect(first.code).toBe(130);
    const done = rowsDone(first);
    expect(parse(await readFile(output, 'utf8'), { columns: true })).toHaveLength(done);
    expect(sim.stats.recordsSeen).toBe(done);
    const requestsBefore = sim.stats.chatRequests;

    const second = await mlpredict([...flags(input, output), '--resume'], { env });
    expect(second.code).toBe(0);
    const records = parse(await readFile(output, 'utf8'), { columns: true }) as Record<string, string>[];
    expect(records).toEqual(texts.map((text, id) => ({ id: String(id), text, product: products[id], sentiment: sentimentOf(text), error: '' })));
    expect(sim.stats.recordsSeen).toBe(ROWS);
    const requests = sim.stats.chatRequests - requestsBefore;
    const needed = Math.ceil((ROWS - done) / BATCH);
    expect(requests).toBeGreaterThanOrEqual(needed);
    expect(requests).toBeLessThanOrEqual(needed + 2);
  });

  it('SIGKILL midway (no chance to finish anything): --resume still ends with every row once, in order', async () => {
    const texts = reviews(ROWS);
    const input = join(dir, 'reviews.jsonl');
    const output = join(dir, 'sentiments.jsonl');
    await writeFile(input, texts.map((text, id) => JSON.stringify({ id, text })).join('\n') + '\n');

    const first = await interrupted(flags(input, output), 'SIGKILL', 40);
    expect(first.signal).toBe('SIGKILL');
    const seenBefore = sim.stats.recordsSeen;
    const second = await mlpredict([...flags(input, output), '--resume'], { env });
    expect(second.code).toBe(0);
    expect(jsonLines(await readFile(output, 'utf8'))).toEqual(texts.map((text, id) => ({ input: { id, text }, value: sentimentOf(text) })));
    // The rows the last checkpoint vouched for are kept; everything after it (a torn line included) is cut and sent again.
    const kept = Number(/mlpredict: 2000 rows(?: \((\d+) from an earlier run\))?/.exec(second.stderr)?.[1] ?? 0);
    expect(sim.stats.recordsSeen - seenBefore).toBe(ROWS - kept);
  });
});
