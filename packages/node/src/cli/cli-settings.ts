/**
 * Flag values + the `--config` file + the environment → everything a run needs,
 * validated before any input is read: a bad value is a usage error in the core's
 * words, with the option's flag named.
 */
import { readFile } from 'node:fs/promises';
import type { PredictOptions } from '@mlpredict/core';
import { DOTTED_KEYS, resolveOptions, type ResolvedOptions } from '@mlpredict/core/internals';
import { kebabCase, type FlagSpec } from './cli-flags.js';
import type { FlagValues } from './parse-args.js';
import { UsageError } from './usage-error.js';

export type InputFormat = 'jsonl' | 'csv';

export interface CliSettings {
  /** The operator options, as given (config under flags). */
  options: PredictOptions;
  /** The same, validated, defaults filled in. */
  resolved: ResolvedOptions;
  input?: string;
  output?: string;
  format: InputFormat;
  model: string;
  baseURL?: string;
  apiKey?: string;
  dryRun: boolean;
  failOnError: boolean;
  progress: boolean;
}

/**
 * @example
 * await cliSettings(parseArgs(['--batch-size', '50', '-i', 'in.csv'], flags), flags, process.env)
 * // → { format: 'csv', options: { batchSize: '50' }, resolved: { batchSize: 50, … }, … }
 */
export async function cliSettings(values: FlagValues, flags: readonly FlagSpec[], env: NodeJS.ProcessEnv): Promise<CliSettings> {
  const text = (name: string) => values.get(name) as string | undefined;
  const config = await readConfig(text('config'));

  const options: Record<string, unknown> = { ...config.options };
  for (const flag of flags) {
    if (!flag.option || !values.has(flag.name)) continue;
    const raw = values.get(flag.name)!;
    options[flag.option] = flag.kind === 'json' ? parseJsonFlag(flag.name, raw as string) : raw;
  }
  const templateFile = text('template-file');
  if (templateFile !== undefined) {
    if (values.has('prompt-template')) throw new UsageError('give --prompt-template or --template-file, not both');
    options.promptTemplate = await readUserFile('--template-file', templateFile);
  }

  const resolved = validate(options as PredictOptions, flags);
  const input = text('input');
  return {
    options: options as PredictOptions,
    resolved,
    input,
    output: text('output'),
    format: inputFormat(text('format'), input),
    model: text('model') ?? config.model ?? env.OPENAI_MODEL ?? 'gpt-4o-mini',
    baseURL: text('base-url') ?? config.baseURL ?? nonEmpty(env.OPENAI_BASE_URL),
    apiKey: text('api-key') ?? nonEmpty(env.OPENAI_API_KEY),
    dryRun: values.get('dry-run') === true,
    failOnError: values.get('fail-on-error') === true,
    progress: values.get('progress') !== false,
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

function inputFormat(format: string | undefined, input: string | undefined): InputFormat {
  if (format === undefined) return input !== undefined && /\.csv$/i.test(input) ? 'csv' : 'jsonl';
  if (format === 'jsonl' || format === 'csv') return format;
  throw new UsageError(`--format: expected jsonl or csv, got "${format}"`);
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
function validate(options: PredictOptions, flags: readonly FlagSpec[]): ResolvedOptions {
  try {
    return resolveOptions(options, undefined, 'mlpredict');
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
