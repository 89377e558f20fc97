/**
 * The `mlpredict` command: flags → settings → input rows → predictions → rows
 * out (JSONL, CSV or JSON), with progress, a resume state beside a file output,
 * and a summary on stderr. Each step lives in its own file; this one only wires
 * them and decides the exit status.
 */
import type { Readable, Writable } from 'node:stream';
import { openAIModel, type Model } from '@mlpredict/core';
import { allFlags } from './cli-flags.js';
import { cliSettings, outputFormatFor, type CliSettings } from './cli-settings.js';
import { countRecords } from './count-records.js';
import { dryRun } from './dry-run.js';
import { formatDuration } from './format-summary.js';
import { helpText } from './help-text.js';
import { sniffFormat, type InputFormat } from './input-format.js';
import type { InputRow } from './input-row.js';
import { Interrupts, type SignalSource } from './interrupts.js';
import { openInput, openOutput, refuseSameFile } from './open-files.js';
import { rowFormatter } from './output-format.js';
import { parseArgs } from './parse-args.js';
import { rowProducer } from './predict-rows.js';
import { readRows, type RowReader } from './read-rows.js';
import { emptyCheckpoint, freshStart, resumePoint } from './resume-run.js';
import { stateFilePath, StateSaver } from './resume-state.js';
import { RowSink } from './row-sink.js';
import { rowSettings } from './row-settings.js';
import { EXIT, exitStatus, reportLines } from './run-report.js';
import { RunTally } from './run-tally.js';
import { runDeferredCli } from './run-deferred.js';
import { showProgress } from './show-progress.js';
import { runTune } from './run-tune.js';
import { UsageError } from './usage-error.js';
import { writeRows, type RunOutcome } from './write-rows.js';

/** Where the CLI reads and writes; the real process's streams, or a test's. */
export interface CliIO {
  stdin: Readable & { isTTY?: boolean };
  stdout: Writable;
  stderr: Writable & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  /** SIGINT and SIGTERM: the executable passes `process`, a test an `EventEmitter`. */
  signals?: SignalSource;
  /** Aborting it stops the run at once (requests in flight are given up); the status is 130. */
  signal?: AbortSignal;
  /** Between plain progress lines when stderr is not a terminal. */
  progressIntervalMs?: number;
  /** What `--version` prints; the executable reads it from its package.json. */
  version?: string;
}

export { EXIT } from './run-report.js';

/**
 * Runs the CLI with `argv` (without `node` and the script) and resolves to the
 * exit status; it never calls `process.exit`.
 *
 * @example
 * process.exitCode = await runCli(process.argv.slice(2), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env, signals: process });
 */
export async function runCli(argv: readonly string[], io: CliIO): Promise<number> {
  if (argv[0] === 'tune') return runTune(argv.slice(1), io);
  const flags = allFlags();
  try {
    const values = parseArgs(argv, flags);
    if (values.get('help') === true) {
      io.stdout.write(helpText(flags));
      return EXIT.ok;
    }
    if (values.get('version') === true) {
      io.stdout.write(`${io.version ?? 'unknown'}\n`);
      return EXIT.ok;
    }
    const settings = await cliSettings(values, flags, io.env);
    const fileOutput = settings.output !== undefined && settings.output !== '-';
    if (settings.resume && !fileOutput && !settings.deferred) throw new UsageError('--resume needs --output FILE: rows written to stdout cannot be continued');
    await refuseSameFile(settings.input, settings.output);
    const fromFile = settings.input !== undefined && settings.input !== '-';
    let input = await openInput(settings.input, io.stdin);
    if (!fromFile && io.stdin.isTTY) io.stderr.write('mlpredict: reading records from the terminal, one a line (Ctrl-D ends them); or give a file: mlpredict reviews.csv\n');
    let format = settings.format;
    if (format === undefined) ({ format, input } = await sniffFormat(input));
    if (settings.noInstruction) {
      io.stderr.write('mlpredict: warning: no --instruction, --labels or prompt template; the prompt only asks for each input\'s "answer" (see it with --dry-run)\n');
    }
    const total = fromFile ? await countRecords(settings.input!, format) : undefined;
    const reader = readRows(format, input, { textColumn: settings.userResolved.textField });

    if (settings.dryRun) {
      const done = settings.resume ? (await resumePoint(settings.output!, rowSettings(settings, format, outputFormatFor(settings, format)), reader.rows)).rows : 0;
      if (done > 0) io.stdout.write(`Resuming: "${settings.output}" already holds ${done} rows; the estimate is for the rest.\n`);
      await dryRun(reader.rows, settings.resolved, io.stdout, total === undefined ? undefined : Math.max(0, total - done), { model: settings.model, price: settings.price, labels: settings.labels, budget: settings.budget });
      input.destroy();
      return EXIT.ok;
    }
    const model = createModel(settings);
    if (settings.deferred) return await runDeferredCli({ reader, input, format, model, settings, io });
    return await predictAndWrite({ reader, input, format, model, settings, total, io });
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`mlpredict: ${error.message}\n${error.showHelp ? 'Run "mlpredict --help" for the flags.\n' : ''}`);
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

interface RunParts {
  reader: RowReader;
  input: Readable;
  format: InputFormat;
  model: Model;
  settings: CliSettings;
  total: number | undefined;
  io: CliIO;
}

async function predictAndWrite({ reader, input, format, model, settings, total, io }: RunParts): Promise<number> {
  const fileOutput = settings.output !== undefined && settings.output !== '-';
  const outputFormat = outputFormatFor(settings, format);
  const rowKey = rowSettings(settings, format, outputFormat);
  // Checked before the output is touched: a refused resume leaves it as it was.
  const start = settings.resume ? await resumePoint(settings.output!, rowKey, reader.rows) : freshStart();
  // One row read ahead: a CSV header must be known before the output's own is written.
  const head: InputRow[] = [];
  const first = await reader.rows.next();
  if (!first.done) head.push(first.value);
  const formatter = rowFormatter({
    format: outputFormat,
    valueName: settings.valueName,
    merge: settings.merge,
    columns: reader.columns(),
    warn: (message) => io.stderr.write(`mlpredict: warning: ${message}\n`),
  });

  const saver = fileOutput ? new StateSaver(stateFilePath(settings.output!), rowKey) : undefined;
  // A new output gets its state first, so that even a run killed at once leaves one --resume can read.
  if (start.rows === 0) await saver?.save(emptyCheckpoint());
  const output = await openOutput(settings.output, io.stdout, start.bytes);
  const sink = new RowSink(output.stream, { formatter, start, onCheckpoint: saver && ((checkpoint) => saver.offer(checkpoint)) });
  const tally = new RunTally();
  tally.total = total;
  tally.resumed = start.rows;
  tally.price = settings.price;
  const progress = showProgress(tally, io.stderr, { enabled: settings.progress, intervalMs: io.progressIntervalMs });
  const interrupts = new Interrupts({
    signals: io.signals,
    abortSignal: io.signal,
    graceMs: settings.graceMs,
    onStop: (signal) => io.stderr.write(`\nmlpredict: ${signal}: stopped reading; finishing the records in flight (at most ${formatDuration(settings.graceMs)}; ${signal === 'SIGINT' ? 'Ctrl-C' : 'a second signal'} again gives them up)\n`),
  });
  const produce = rowProducer(model, { ...settings.options, onRequest: (event) => (tally.addRequest(event), progress.update()) });

  let outcome: RunOutcome;
  try {
    await sink.begin();
    outcome = await writeRows({ rows: reader.rows, head, releaseInput: () => input.destroy(), produce, sink, tally, progress, interrupts });
  } catch (error) {
    outcome = { kind: 'failed', error };
  } finally {
    interrupts.dispose();
    progress.stop();
  }
  input.destroy();
  try {
    const last = await sink.finish();
    await output.close();
    // Only once the rows are in the file does the state vouch for them.
    await saver?.close(last, outcome.kind === 'complete');
  } catch (error) {
    // The last checkpoint saved stands: it vouches only for bytes that were written.
    await saver?.idle();
    if (outcome.kind === 'complete' || outcome.kind === 'interrupted' || outcome.kind === 'budget') outcome = { kind: 'failed', error };
  }
  io.stderr.write(reportLines(outcome, tally, { resumable: fileOutput, signal: interrupts.received }));
  return exitStatus(outcome, tally, { failOnError: settings.failOnError, signal: interrupts.received });
}
