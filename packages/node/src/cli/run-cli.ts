/**
 * The `mlpredict` command: flags → settings → input rows → predict stream →
 * JSONL out, with progress and a summary on stderr. Each step lives in its own
 * file; this one only wires them and decides the exit status.
 */
import type { Readable, Writable } from 'node:stream';
import { openAIModel, type Model } from '@mlpredict/core';
import { createPredictStream } from '../stream/create-predict-stream.js';
import { allFlags } from './cli-flags.js';
import { cliSettings, type CliSettings } from './cli-settings.js';
import { countRecords } from './count-records.js';
import { dryRun } from './dry-run.js';
import { formatSummary } from './format-summary.js';
import { helpText } from './help-text.js';
import type { InputRow } from './input-row.js';
import { openInput, openOutput } from './open-files.js';
import { parseArgs } from './parse-args.js';
import { predictRows } from './predict-rows.js';
import { readCsv } from './read-csv.js';
import { readJsonl } from './read-jsonl.js';
import { RunTally } from './run-tally.js';
import { showProgress } from './show-progress.js';
import { UsageError } from './usage-error.js';
import { writeJsonl } from './write-jsonl.js';

/** Where the CLI reads and writes; the real process's streams, or a test's. */
export interface CliIO {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  /** Aborting stops the run: requests in flight are aborted, the summary is printed, the status is 130. */
  signal?: AbortSignal;
  /** Between plain progress lines when stderr is not a terminal. */
  progressIntervalMs?: number;
}

/** Exit statuses. */
export const EXIT = { ok: 0, failed: 1, usage: 2, interrupted: 130 } as const;

/**
 * Runs the CLI with `argv` (without `node` and the script) and resolves to the
 * exit status; it never calls `process.exit`.
 *
 * @example
 * process.exitCode = await runCli(process.argv.slice(2), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env });
 */
export async function runCli(argv: readonly string[], io: CliIO): Promise<number> {
  const flags = allFlags();
  try {
    const values = parseArgs(argv, flags);
    if (values.get('help') === true) {
      io.stdout.write(helpText(flags));
      return EXIT.ok;
    }
    const settings = await cliSettings(values, flags, io.env);
    const input = await openInput(settings.input, io.stdin);
    const fromFile = settings.input !== undefined && settings.input !== '-';
    const total = fromFile ? await countRecords(settings.input!, settings.format) : undefined;
    const rows = settings.format === 'csv' ? readCsv(input) : readJsonl(input);

    if (settings.dryRun) {
      await dryRun(rows, settings.resolved, io.stdout, total);
      input.destroy();
      return EXIT.ok;
    }
    const model = createModel(settings);
    return await predictAndWrite(rows, input, model, settings, total, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`mlpredict: ${error.message}\nRun "mlpredict --help" for the flags.\n`);
      return EXIT.usage;
    }
    io.stderr.write(`mlpredict: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT.failed;
  }
}

function createModel(settings: CliSettings): Model {
  try {
    return openAIModel({ model: settings.model, baseURL: settings.baseURL, apiKey: settings.apiKey });
  } catch (error) {
    // The core's message says what to set; name the CLI's ways to set it too.
    throw new UsageError(`${(error as Error).message} (flags: --api-key, --base-url)`);
  }
}

async function predictAndWrite(rows: AsyncIterable<InputRow>, input: Readable, model: Model, settings: CliSettings, total: number | undefined, io: CliIO): Promise<number> {
  const output = await openOutput(settings.output, io.stdout);
  const tally = new RunTally();
  tally.total = total;
  const progress = showProgress(tally, io.stderr, { enabled: settings.progress, intervalMs: io.progressIntervalMs });
  const predictor = createPredictStream(model, {
    ...settings.options,
    onRequest: (event) => {
      tally.addRequest(event);
      progress.update();
    },
  });
  const interrupt = () => {
    predictor.destroy(new Error('interrupted'));
    // A terminal on stdin would otherwise keep the process waiting for a line that never comes.
    input.destroy();
  };
  io.signal?.addEventListener('abort', interrupt, { once: true });
  try {
    await writeJsonl(predictRows(rows, predictor), output.stream, (row) => {
      tally.addRow(row);
      progress.update();
    });
  } catch (error) {
    if (!io.signal?.aborted) throw error;
  } finally {
    io.signal?.removeEventListener('abort', interrupt);
    progress.stop();
    await output.close();
  }
  io.stderr.write(`${formatSummary(tally)}\n`);
  if (io.signal?.aborted) return EXIT.interrupted;
  return settings.failOnError && tally.errors > 0 ? EXIT.failed : EXIT.ok;
}
