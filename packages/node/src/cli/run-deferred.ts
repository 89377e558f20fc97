/**
 * `mlpredict --deferred --job-dir DIR`: the whole input as batch jobs through the
 * provider's Batch API (`predictDeferred`), at half price. The job folder keeps
 * everything: the same command with `--resume` picks the job up where a killed,
 * interrupted or failed run left it, and never submits it twice. Ctrl-C stops
 * waiting and leaves the job running at the provider. The output is written
 * once every record has its result, one row per input row, in order.
 */
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { predictDeferred, type Model, type PredictResult } from '@mlpredict/core';
import { kebabCase } from './cli-flags.js';
import { outputFormatFor, type CliSettings } from './cli-settings.js';
import { formatSummary, plural } from './format-summary.js';
import type { InputFormat } from './input-format.js';
import { isBadRow, rowDigest, type InputRow } from './input-row.js';
import { Interrupts } from './interrupts.js';
import { openOutput } from './open-files.js';
import { rowFormatter } from './output-format.js';
import { resultRow, type OutputRow } from './predict-rows.js';
import type { RowReader } from './read-rows.js';
import { freshStart } from './resume-run.js';
import { RowSink } from './row-sink.js';
import { EXIT } from './run-report.js';
import type { CliIO } from './run-cli.js';
import { RunTally } from './run-tally.js';
import { showJobStatus } from './show-job-status.js';
import { UsageError } from './usage-error.js';

export interface DeferredCliParts {
  reader: RowReader;
  input: Readable;
  format: InputFormat;
  model: Model;
  settings: CliSettings;
  io: CliIO;
}

/** The file predictDeferred keeps its manifest in, inside the job folder. */
const MANIFEST = 'manifest.json';

/**
 * @example
 * const status = await runDeferredCli({ reader, input, format, model, settings, io }); // 0, 1, 2, 130 or 143
 */
export async function runDeferredCli({ reader, input, format, model, settings, io }: DeferredCliParts): Promise<number> {
  const { jobDir, pollIntervalMs } = settings.deferred!;
  await checkJobDir(jobDir, settings.resume, io);
  // A job holds the whole input: read it all, keeping each unreadable row's place.
  const rows: InputRow[] = [];
  for await (const row of reader.rows) rows.push(row);
  input.destroy();
  const records = rows.filter((row) => !isBadRow(row)).map((row) => (row as { record: unknown }).record);

  const tally = new RunTally();
  tally.total = rows.length;
  tally.price = settings.price;
  const stop = new AbortController();
  const interrupts = new Interrupts({
    signals: io.signals,
    abortSignal: io.signal,
    graceMs: 0,
    onStop: (signal) => io.stderr.write(`\nmlpredict: ${signal}: stopped waiting; the batch job keeps running at the provider\n`),
  });
  void interrupts.stopped.then(() => stop.abort());

  let results: PredictResult<unknown>[];
  try {
    results = await predictDeferred(model, records, {
      ...settings.options,
      jobDir,
      pollIntervalMs,
      signal: stop.signal,
      // Ctrl-C means "stop waiting", not "throw the job away": --resume collects it later.
      cancelOnAbort: false,
      onStatus: showJobStatus(tally, io.stderr, { enabled: settings.progress }),
      onRequest: (event) => tally.addRequest(event),
    });
  } catch (error) {
    if (error instanceof TypeError) throw new UsageError(flagWords(error.message));
    io.stderr.write(`mlpredict: ${oneLine(error instanceof Error ? error.message : String(error))}\nmlpredict: the job folder ${jobDir} keeps what was done; once that is fixed, rerun with --resume\n`);
    return EXIT.failed;
  } finally {
    interrupts.dispose();
  }

  if (interrupts.received) {
    io.stderr.write(`mlpredict: interrupted (${interrupts.received}): no rows written; the batch job keeps running at the provider; rerun the same command with --resume to collect it (it is never submitted twice)\n`);
    return interrupts.received === 'SIGTERM' ? EXIT.terminated : EXIT.interrupted;
  }
  const fatal = results.find((result) => !result.ok && result.error.fatal);
  if (fatal && !fatal.ok) {
    io.stderr.write(`mlpredict: stopped: ${fatal.error.code}: ${oneLine(fatal.error.message)} (no rows written; the job folder keeps the job's answers: once that is fixed, rerun with --resume)\n`);
    return EXIT.failed;
  }

  await writeAll(rows, results, { reader, format, settings, io, tally });
  const overBudget = tally.errorsByCode.get('budget');
  if (overBudget) io.stderr.write(`mlpredict: the budget did not cover ${plural(overBudget, 'row')}: they were not sent and have the "budget" error\n`);
  io.stderr.write(`${formatSummary(tally)}\n`);
  return settings.failOnError && tally.errors > 0 ? EXIT.failed : EXIT.ok;
}

/** A folder holding a job is continued only on purpose (`--resume`): running it again by mistake must not look like a new run. */
async function checkJobDir(jobDir: string, resume: boolean, io: CliIO): Promise<void> {
  const manifest = join(jobDir, MANIFEST);
  const exists = await access(manifest).then(
    () => true,
    () => false,
  );
  if (exists && !resume) {
    const step = await readFile(manifest, 'utf8').then(
      (text) => (JSON.parse(text) as { step?: string }).step,
      () => undefined,
    );
    throw new UsageError(`--job-dir "${jobDir}" already holds a deferred job${step ? ` (step: ${step})` : ''}; add --resume to continue it (it is never submitted twice), or give a new --job-dir`);
  }
  if (!exists && resume) io.stderr.write(`mlpredict: --resume: "${jobDir}" holds no job yet; starting one\n`);
}

interface WriteParts {
  reader: RowReader;
  format: InputFormat;
  settings: CliSettings;
  io: CliIO;
  tally: RunTally;
}

/** Every input row's output row, in input order: its result, or `bad_input` for a row that could not be read. */
async function writeAll(rows: readonly InputRow[], results: readonly PredictResult<unknown>[], { reader, format, settings, io, tally }: WriteParts): Promise<void> {
  const formatter = rowFormatter({
    format: outputFormatFor(settings, format),
    valueName: settings.valueName,
    merge: settings.merge,
    columns: reader.columns(),
    warn: (message) => io.stderr.write(`mlpredict: warning: ${message}\n`),
  });
  const output = await openOutput(settings.output, io.stdout);
  const sink = new RowSink(output.stream, { formatter, start: freshStart() });
  await sink.begin();
  let next = 0;
  for (const row of rows) {
    const out: OutputRow = isBadRow(row) ? { input: row.raw, error: { code: 'bad_input', message: row.problem, attempts: 0 } } : resultRow(results[next++]!);
    await sink.write(out, rowDigest(row));
    tally.addRow(out);
  }
  await sink.finish();
  await output.close();
}

/** The core's option names in its messages → the CLI's flags: `option "votes"` → `--votes`. */
function flagWords(message: string): string {
  return message.replace(/^predictDeferred: /, '--deferred: ').replace(/option "(\w+)"/g, (_, name: string) => `--${kebabCase(name)}`);
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ');
}
