/**
 * `mlpredict tune`: the quality guard on the command line. A labelled sample
 * (JSON Lines or CSV, each record with its right answer under `--label-field`)
 * runs once at each batch size; a table of accuracy, tokens and time per size
 * goes to stdout with the largest size that keeps accuracy within the tolerance
 * of one record per request — the `--max-batch-size` to run with.
 */
import { openAIModel, tuneBatchSize, type BatchSizeReport, type LabelledRecord, type TuneBatchSizeResult } from '@mlpredict/core';
import { DEFAULT_TUNE_SIZES, DEFAULT_TUNE_TOLERANCE } from '@mlpredict/core/internals';
import { allFlags, type FlagSpec } from './cli-flags.js';
import { cliSettings } from './cli-settings.js';
import { helpText } from './help-text.js';
import { sniffFormat } from './input-format.js';
import { isBadRow } from './input-row.js';
import { openInput } from './open-files.js';
import { parseArgs } from './parse-args.js';
import { readRows } from './read-rows.js';
import { EXIT } from './run-report.js';
import type { CliIO } from './run-cli.js';
import { UsageError } from './usage-error.js';

const TUNE_FLAGS: FlagSpec[] = [
  { name: 'label-field', kind: 'text', placeholder: 'NAME', default: 'label', description: 'the field of each record that holds its right answer (left out of what the model sees)', group: 'input and output' },
  { name: 'sizes', kind: 'text', placeholder: 'N,N,…', default: DEFAULT_TUNE_SIZES.join(','), description: 'the batch sizes to measure, each once over the whole sample', group: 'run' },
  { name: 'tolerance', kind: 'text', placeholder: 'FRACTION', default: DEFAULT_TUNE_TOLERANCE, description: 'how far below the smallest size\'s accuracy a size may fall and still be recommended (0.02: two points)', group: 'run' },
  { name: 'json', kind: 'switch', default: false, description: 'print the result as JSON instead of a table', group: 'run' },
];

/** The run's flags that mean nothing here: output, resuming, batch jobs, and what tune itself sets. */
const NOT_FOR_TUNE = new Set(['output', 'output-format', 'merge', 'resume', 'deferred', 'job-dir', 'dry-run', 'fail-on-error', 'grace-ms', 'progress', 'batch-size', 'max-batch-size', 'cache', 'version']);

/**
 * Runs `mlpredict tune` with `argv` (after the word `tune`) and resolves to the exit status.
 *
 * @example
 * process.exitCode = await runTune(['labelled.jsonl', '--field', 'text', '--value-field', 'sentiment'], io);
 */
export async function runTune(argv: readonly string[], io: CliIO): Promise<number> {
  const flags = [...TUNE_FLAGS, ...allFlags().filter((f) => !NOT_FOR_TUNE.has(f.name))];
  try {
    const values = parseArgs(argv, flags);
    if (values.get('help') === true) {
      io.stdout.write(tuneHelp(flags));
      return EXIT.ok;
    }
    const settings = await cliSettings(values, flags, io.env);
    const labelField = (values.get('label-field') as string | undefined) ?? 'label';
    const sizes = parseSizes(values.get('sizes') as string | undefined);
    const tolerance = parseTolerance(values.get('tolerance') as string | undefined);
    let input = await openInput(settings.input, io.stdin);
    let format = settings.format;
    if (format === undefined) ({ format, input } = await sniffFormat(input));
    if (format === 'lines') throw new UsageError(`tune needs labelled records: JSON Lines or CSV with a "${labelField}" field, not plain lines`);
    const sample = await labelledSample(readRows(format, input).rows, labelField);
    input.destroy();
    const model = openAIModel({ model: settings.model, baseURL: settings.baseURL, apiKey: settings.apiKey });
    const result = await tuneBatchSize(model, sample, {
      ...settings.options,
      sizes,
      tolerance,
      onSize: (r) => io.stderr.write(`mlpredict tune: batch size ${r.batchSize}: ${percent(r.accuracy)} right, ${r.requests} requests, ${(r.wallMs / 1000).toFixed(1)} s\n`),
    });
    io.stdout.write(values.get('json') === true ? `${JSON.stringify(result, null, 2)}\n` : resultTable(result));
    return EXIT.ok;
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`mlpredict tune: ${error.message}\n${error.showHelp ? 'Run "mlpredict tune --help" for the flags.\n' : ''}`);
      return EXIT.usage;
    }
    const message = error instanceof Error ? error.message : String(error);
    // The core names bad options and arguments with a TypeError: a usage mistake.
    if (error instanceof TypeError) {
      io.stderr.write(`mlpredict tune: ${message}\n`);
      return EXIT.usage;
    }
    io.stderr.write(`mlpredict tune: ${message}\n`);
    return EXIT.failed;
  }
}

/** Records with their label taken out, so the model never sees the answer. */
async function labelledSample(rows: AsyncIterable<Parameters<typeof isBadRow>[0]>, labelField: string): Promise<LabelledRecord[]> {
  const sample: LabelledRecord[] = [];
  for await (const row of rows) {
    if (isBadRow(row)) throw new UsageError(`line ${row.line} cannot be read: ${row.problem}`, { showHelp: false });
    const record = row.record;
    if (record === null || typeof record !== 'object' || Array.isArray(record) || !(labelField in record)) {
      throw new UsageError(`line ${row.line} has no "${labelField}" field: every record needs its right answer (--label-field names the field)`, { showHelp: false });
    }
    const { [labelField]: label, ...input } = record as Record<string, unknown>;
    sample.push({ input, label });
  }
  if (sample.length === 0) throw new UsageError('the input holds no records', { showHelp: false });
  return sample;
}

function parseSizes(raw: string | undefined): number[] {
  if (raw === undefined) return [...DEFAULT_TUNE_SIZES];
  const sizes = raw.split(',').map((s) => s.trim());
  if (sizes.length === 0 || !sizes.every((s) => /^\d+$/.test(s) && Number(s) >= 1 && Number(s) <= 10_000)) {
    throw new UsageError(`--sizes: expected batch sizes from 1 to 10000, comma-separated (1,5,10,20,50), got "${raw}"`);
  }
  return sizes.map(Number);
}

function parseTolerance(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_TUNE_TOLERANCE;
  const value = Number(raw);
  if (raw.trim() === '' || !(value >= 0 && value <= 1)) throw new UsageError(`--tolerance: expected a fraction from 0 to 1 (0.02 is two percentage points), got "${raw}"`);
  return value;
}

const percent = (x: number) => `${(x * 100).toFixed(1)}%`;

function resultTable(result: TuneBatchSizeResult): string {
  const columns: Array<[string, (r: BatchSizeReport) => string]> = [
    ['batch size', (r) => String(r.batchSize)],
    ['accuracy', (r) => percent(r.accuracy)],
    ['right', (r) => String(r.right)],
    ['wrong', (r) => String(r.wrong)],
    ['errors', (r) => String(r.errors)],
    ['requests', (r) => String(r.requests)],
    ['prompt tokens', (r) => String(r.promptTokens)],
    ['completion tokens', (r) => String(r.completionTokens)],
    ['time', (r) => `${(r.wallMs / 1000).toFixed(1)} s`],
  ];
  const cells = result.sizes.map((r) => columns.map(([, value]) => value(r)));
  const widths = columns.map(([title], i) => Math.max(title.length, ...cells.map((row) => row[i]!.length)));
  const line = (parts: string[]) => parts.map((p, i) => p.padStart(widths[i]!)).join('  ');
  const { baseline, recommended, tolerance } = result;
  return [
    line(columns.map(([title]) => title)),
    ...cells.map(line),
    '',
    `Recommended: --max-batch-size ${recommended} (maxBatchSize: ${recommended}), the largest size within ${(tolerance * 100).toFixed(1)} points of batch size ${baseline.batchSize}'s ${percent(baseline.accuracy)}.`,
    '',
  ].join('\n');
}

function tuneHelp(flags: readonly FlagSpec[]): string {
  const general = helpText(flags).split('\n');
  // The run's own flag list, under tune's usage and purpose.
  const from = general.findIndex((l) => l === 'Input and output:');
  const until = general.findIndex((l) => l === 'Examples:');
  return [
    'Usage: mlpredict tune [FILE] --label-field NAME [flags]',
    '',
    'Runs a labelled sample (JSON Lines or CSV, each record with its right answer) once at',
    'each batch size, prints accuracy, tokens and time per size, and recommends the largest',
    'size whose accuracy stays within --tolerance of the smallest size\'s: the --max-batch-size',
    'to run with. It costs the sample\'s tokens once per size (one request per record at size 1).',
    '',
    ...general.slice(from, until === -1 ? undefined : until),
    'Example:',
    '  mlpredict tune labelled.jsonl -f text --value-field sentiment -l positive,negative,neutral',
    '',
  ].join('\n');
}
