/**
 * Flag values + the `--config` file + the environment → everything a run needs,
 * validated before any input is read: a bad value is a usage error in the core's
 * words, with the option's flag named.
 */
import { readFile } from 'node:fs/promises';
import type { BudgetLimits, PredictOptions } from '@mlpredict/core';
import { DOTTED_KEYS, normalizeKeys, parseOptions, resolveOptions, type ParsedOptions, type ResolvedOptions } from '@mlpredict/core/internals';
import { kebabCase, type FlagSpec } from './cli-flags.js';
import { fieldText } from './field-path.js';
import { formatOfName, INPUT_FORMATS, type InputFormat } from './input-format.js';
import { jsonSchemaValue } from './json-schema-value.js';
import { labelOptions, parseLabels } from './labels.js';
import { OUTPUT_FORMATS, type OutputFormat } from './output-format.js';
import type { FlagValues } from './parse-args.js';
import { runPrice, type RunPrice } from './run-price.js';
import { UsageError } from './usage-error.js';

export interface CliSettings {
  /** The operator options the run uses: the user's, plus what `--labels`, `--schema` and a dotted `--field` add. */
  options: PredictOptions;
  /** The same, validated, defaults filled in. */
  resolved: ResolvedOptions;
  /** The user's own options (config under flags), validated and flat: what `--resume` compares. */
  userResolved: ParsedOptions;
  input?: string;
  output?: string;
  /** `--format`, else what the input's name implies; `undefined`: look at the input. */
  format?: InputFormat;
  /** `--output-format`, else what `--output`'s name implies; `undefined`: follow the input. */
  outputFormat?: OutputFormat;
  merge: boolean;
  /** The value's CSV column or merged field: the value field's name, or `value`. */
  valueName: string;
  labels?: string[];
  /** `--schema`, as parsed. */
  schema?: unknown;
  model: string;
  baseURL?: string;
  apiKey?: string;
  price?: RunPrice;
  /** `--max-cost` / `--max-tokens-total` (over a `--config` file's `budget`). */
  budget?: BudgetLimits;
  /** `--deferred`: the provider's Batch API, the job kept in `jobDir`. */
  deferred?: { jobDir: string; pollIntervalMs: number };
  dryRun: boolean;
  failOnError: boolean;
  progress: boolean;
  resume: boolean;
  graceMs: number;
  /** Neither an instruction, labels nor a template: the prompt only says "give its answer". */
  noInstruction: boolean;
}

/**
 * @example
 * await cliSettings(parseArgs(['--batch-size', '50', 'in.csv'], flags), flags, process.env)
 * // → { format: 'csv', options: { batchSize: '50' }, resolved: { batchSize: 50, … }, … }
 */
export async function cliSettings(values: FlagValues, flags: readonly FlagSpec[], env: NodeJS.ProcessEnv): Promise<CliSettings> {
  const text = (name: string) => values.get(name) as string | undefined;
  const config = await readConfig(text('config'));

  const given: Record<string, unknown> = { ...config.options };
  for (const flag of flags) {
    if (!flag.option || !values.has(flag.name)) continue;
    const raw = values.get(flag.name)!;
    given[flag.option] = flag.kind === 'json' ? parseJsonFlag(flag.name, raw as string) : raw;
  }
  const templateFile = text('template-file');
  if (templateFile !== undefined) {
    if (values.has('prompt-template')) throw new UsageError('give --prompt-template or --template-file, not both');
    given.promptTemplate = await readUserFile('--template-file', templateFile);
  }
  const userResolved = validate(given as PredictOptions, flags, parseOptions);
  const user = normalizeKeys(given);

  const labels = text('labels') === undefined ? undefined : parseLabels(text('labels')!);
  const schemaFile = text('schema');
  if (labels && schemaFile !== undefined) throw new UsageError('give --labels or --schema, not both (--labels is an enum schema of its own)');
  const schema = schemaFile === undefined ? undefined : parseJsonFile('--schema', schemaFile, await readUserFile('--schema', schemaFile));
  const options: Record<string, unknown> = {
    ...user,
    ...(labels && labelOptions(labels, userResolved, user.structuredOutput !== undefined)),
    ...(schema !== undefined && { valueSchema: jsonSchemaValue(schema) }),
  };
  // The core reads `textField` as one key; a dotted path is read by the CLI.
  if (typeof options.textField === 'string' && options.textField.includes('.')) {
    options.toText = fieldText(options.textField);
    delete options.textField;
  }

  const input = text('input');
  const output = text('output');
  const model = text('model') ?? config.model ?? env.OPENAI_MODEL ?? 'gpt-4o-mini';
  // The library counts cost and budget at the price the CLI shows: the flags' over the config's over the table's.
  const price = runPrice(model, { input: text('price-input'), cachedInput: text('price-cached-input'), output: text('price-output') }, userResolved.price);
  const budget = budgetOf(userResolved.budget, text('max-cost'), text('max-tokens-total'));
  if (budget?.maxCostUsd !== undefined && !price) throw new UsageError(`--max-cost needs a price: the price table does not know the model "${model}"; give --price-input and --price-output (USD per million tokens), or use --max-tokens-total`);
  if (price) options.price = price.price;
  if (budget) options.budget = budget;
  if (budget && values.get('deferred') === true && userResolved.maxTokens === undefined) {
    const flag = budget.maxCostUsd !== undefined ? '--max-cost' : '--max-tokens-total';
    throw new UsageError(`${flag} with --deferred needs --max-tokens N (the most completion tokens a request may use): the job is planned whole before any answer exists, so only that bound keeps it within the budget (about 20 × the batch size for short labels)`);
  }
  const outputFormat = chosenOutputFormat(text('output-format'), output);
  const merge = values.get('merge') === true;
  if (merge && outputFormat === 'csv') throw new UsageError('--merge is for jsonl and json output; CSV output always keeps the input\'s columns');
  return {
    options: options as PredictOptions,
    resolved: validate(options as PredictOptions, flags, resolveOptions),
    userResolved,
    input,
    output,
    format: chosenFormat(text('format'), input),
    outputFormat,
    merge,
    valueName: userResolved.valueField ?? 'value',
    labels,
    schema,
    model,
    baseURL: text('base-url') ?? config.baseURL ?? nonEmpty(env.OPENAI_BASE_URL),
    apiKey: text('api-key') ?? nonEmpty(env.OPENAI_API_KEY),
    price,
    budget,
    deferred: deferredOf(values.get('deferred') === true, text('job-dir'), text('poll-interval-ms')),
    dryRun: values.get('dry-run') === true,
    failOnError: values.get('fail-on-error') === true,
    progress: values.get('progress') !== false,
    resume: values.get('resume') === true,
    graceMs: graceMs(text('grace-ms')),
    noInstruction: userResolved.instruction === undefined && userResolved.promptTemplate === undefined && labels === undefined,
  };
}

/**
 * The output format once the input's is known: the chosen one, else CSV for CSV
 * input, else JSON Lines.
 *
 * @example
 * outputFormatFor(settings, 'csv') // → 'csv' (no --output-format, no telling --output name)
 */
export function outputFormatFor(settings: Pick<CliSettings, 'outputFormat' | 'merge'>, inputFormat: InputFormat): OutputFormat {
  if (settings.outputFormat) return settings.outputFormat;
  // --merge asks for records written whole, which CSV output cannot do.
  return inputFormat === 'csv' && !settings.merge ? 'csv' : 'jsonl';
}

function chosenOutputFormat(flag: string | undefined, output: string | undefined): OutputFormat | undefined {
  if (flag !== undefined) {
    if (!(OUTPUT_FORMATS as readonly string[]).includes(flag)) throw new UsageError(`--output-format: expected ${OUTPUT_FORMATS.join(', ')}, got "${flag}"`);
    return flag as OutputFormat;
  }
  if (output === undefined) return undefined;
  if (/\.csv$/i.test(output)) return 'csv';
  if (/\.json$/i.test(output)) return 'json';
  if (/\.(jsonl|ndjson)$/i.test(output)) return 'jsonl';
  return undefined;
}

function chosenFormat(flag: string | undefined, input: string | undefined): InputFormat | undefined {
  if (flag === undefined) return formatOfName(input);
  if ((INPUT_FORMATS as readonly string[]).includes(flag)) return flag as InputFormat;
  throw new UsageError(`--format: expected ${INPUT_FORMATS.join(', ')}, got "${flag}"`);
}

function budgetOf(fromConfig: BudgetLimits | undefined, maxCost: string | undefined, maxTokens: string | undefined): BudgetLimits | undefined {
  const budget: BudgetLimits = { ...fromConfig };
  if (maxCost !== undefined) {
    const usd = Number(maxCost);
    if (maxCost.trim() === '' || !Number.isFinite(usd) || usd <= 0) throw new UsageError(`--max-cost: expected USD (a number > 0), got "${maxCost}"`);
    budget.maxCostUsd = usd;
  }
  if (maxTokens !== undefined) {
    const tokens = Number(maxTokens);
    if (maxTokens.trim() === '' || !Number.isInteger(tokens) || tokens < 1) throw new UsageError(`--max-tokens-total: expected a whole number of tokens ≥ 1, got "${maxTokens}"`);
    budget.maxTokens = tokens;
  }
  return budget.maxCostUsd === undefined && budget.maxTokens === undefined ? undefined : budget;
}

function deferredOf(on: boolean, jobDir: string | undefined, poll: string | undefined): CliSettings['deferred'] {
  if (!on) {
    const stray = jobDir !== undefined ? '--job-dir' : poll !== undefined ? '--poll-interval-ms' : undefined;
    if (stray) throw new UsageError(`${stray} is for --deferred runs; add --deferred (the provider's Batch API) or leave ${stray} out`);
    return undefined;
  }
  if (jobDir === undefined || jobDir === '') throw new UsageError('--deferred needs --job-dir DIR: a folder that keeps the job, so that a rerun with --resume continues it instead of paying twice');
  const pollIntervalMs = poll === undefined ? 15_000 : Number(poll);
  if (!Number.isInteger(pollIntervalMs) || pollIntervalMs < 1) throw new UsageError(`--poll-interval-ms: expected a whole number of milliseconds ≥ 1, got "${poll}"`);
  return { jobDir, pollIntervalMs };
}

function graceMs(raw: string | undefined): number {
  if (raw === undefined) return 30_000;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(value) || value < 0) throw new UsageError(`--grace-ms: expected a whole number of milliseconds ≥ 0, got "${raw}"`);
  return value;
}

function parseJsonFile(flag: string, path: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${flag}: "${path}" is not valid JSON: ${(error as Error).message}`);
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

async function readUserFile(flag: string, path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new UsageError(`${flag}: cannot read "${path}": ${describeFsError(error)}`);
  }
}

/** `ENOENT: no such file or directory, open 'x'` → `no such file or directory`. */
export function describeFsError(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  if (e?.code === 'ENOENT') return 'no such file or directory';
  if (e?.code === 'EACCES') return 'permission denied';
  if (e?.code === 'EISDIR') return 'it is a directory';
  return e?.message ?? String(error);
}

async function readConfig(path: string | undefined): Promise<{ options: Record<string, unknown>; model?: string; baseURL?: string }> {
  if (path === undefined) return { options: {} };
  const text = await readUserFile('--config', path);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--config: "${path}" is not valid JSON: ${(error as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new UsageError(`--config: "${path}" must hold a JSON object of options`);
  }
  // "model" and "baseURL" name the endpoint; everything else is an operator option.
  const { model, baseURL, ...options } = parsed as Record<string, unknown>;
  for (const [key, value] of Object.entries({ model, baseURL })) {
    if (value !== undefined && typeof value !== 'string') throw new UsageError(`--config: "${key}" in "${path}" must be a string`);
  }
  return { options, model: model as string | undefined, baseURL: baseURL as string | undefined };
}

function parseJsonFlag(name: string, raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    throw new UsageError(`--${name}: expected JSON, got ${JSON.stringify(raw)}`);
  }
}

/**
 * Runs the core's validation and rewrites its option names as flags:
 * `"batchSize" (batch.size): expected …` → `--batch-size: expected …`.
 */
function validate<R>(options: PredictOptions, flags: readonly FlagSpec[], check: (options: PredictOptions, model: undefined, caller: string) => R): R {
  try {
    return check(options, undefined, 'mlpredict');
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    const dotted = Object.fromEntries(Object.entries(DOTTED_KEYS).map(([d, n]) => [n, d]));
    let message = error.message.replace(/^mlpredict: /, '');
    for (const flag of flags) {
      if (!flag.option || flag.name === 'field') continue;
      const named = `"${flag.option}"${dotted[flag.option] ? ` (${dotted[flag.option]})` : ''}`;
      message = message.split(named).join(`--${kebabCase(flag.option)}`);
    }
    throw new UsageError(message);
  }
}
