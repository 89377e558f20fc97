/**
 * The quality guard: how accuracy moves with the batch size, measured on the
 * user's own task. Batch prompting's accuracy depends on the task and the size
 * (Cheng et al. 2023; BatchPrompt, ICLR 2024); a labelled sample run once at
 * each size shows it, and the largest size that keeps accuracy within a
 * tolerance of one record per request is the one to use as `maxBatchSize`.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Model } from '../model/model.js';
import { parseOptions, type PredictOptions } from '../config/options.js';
import { RunStats } from '../metrics/run-stats.js';
import { PredictError, type PredictFailure, type PredictResult } from '../results/result.js';
import { predictAll } from './predict-all.js';

/** One labelled record: what goes to the model, and the answer it should give. */
export interface LabelledRecord<T = unknown, V = unknown> {
  input: T;
  label: V;
}

export interface TuneBatchSizeOptions<V = unknown> extends Omit<PredictOptions, 'batchSize' | 'batch.size' | 'maxBatchSize' | 'cache' | 'stats'> {
  /** The batch sizes to measure, each once over the whole sample. @default [1, 5, 10, 20, 50] */
  sizes?: readonly number[];
  /**
   * How far below the smallest size's accuracy a size may fall and still be
   * recommended, as a fraction (0.02: two percentage points). @default 0.02
   */
  tolerance?: number;
  /** Whether a value is right for its label. @default strings trimmed and case-insensitive, anything else deeply equal */
  isRight?: (value: unknown, label: V) => boolean;
  /** Each size's report as soon as it is measured (progress). */
  onSize?: (report: BatchSizeReport) => void;
}

/** One batch size, measured. */
export interface BatchSizeReport {
  batchSize: number;
  records: number;
  /** Values equal to their label. */
  right: number;
  /** Values that differ from their label. */
  wrong: number;
  /** Records with no value (an error result): not right either. */
  errors: number;
  /** right ÷ records. */
  accuracy: number;
  /** HTTP requests, retries and repairs included. */
  requests: number;
  promptTokens: number;
  completionTokens: number;
  wallMs: number;
}

export interface TuneBatchSizeResult {
  /** One report per size, smallest first. */
  sizes: BatchSizeReport[];
  /** The smallest size's report: the accuracy the others are held to. */
  baseline: BatchSizeReport;
  /** The largest size whose accuracy is within `tolerance` of the baseline's. */
  recommended: number;
  tolerance: number;
}

/** What BatchPrompt, DocETL's warning and the usual defaults bracket. */
export const DEFAULT_TUNE_SIZES: readonly number[] = [1, 5, 10, 20, 50];
export const DEFAULT_TUNE_TOLERANCE = 0.02;

/**
 * Runs a labelled sample through `model` at each batch size (each once, at your
 * cost: the sample's tokens once per size, and one request per record at size
 * 1), reports accuracy, tokens and time per size, and recommends the largest
 * size whose accuracy is within `tolerance` of the smallest size's. Use the
 * recommendation as `maxBatchSize`.
 *
 * @example
 * import { openAIModel, tuneBatchSize } from '@mlpredict/core';
 * const sample = [{ input: 'Great phone', label: 'positive' }, { input: 'It broke', label: 'negative' }];
 * const { recommended, sizes } = await tuneBatchSize(openAIModel({ model: 'gpt-4o-mini' }), sample, { valueField: 'sentiment' });
 * console.table(sizes.map((s) => ({ size: s.batchSize, accuracy: s.accuracy, tokens: s.promptTokens + s.completionTokens })));
 * // then: predictAll(model, records, { valueField: 'sentiment', maxBatchSize: recommended })
 *
 * @param model any {@link Model}
 * @param labelled the sample: `{ input, label }` per record (a few hundred give a usable estimate)
 * @param options the run's options (template, format, schema, …) plus `sizes`, `tolerance`, `isRight`, `onSize`
 * @returns a report per size and the recommended size
 * @throws PredictError when a size could not be measured at all: a bad key, an unknown model, an endpoint that cannot be reached
 * @throws Error when no record is answered right at the smallest size (nothing to compare the others with)
 */
export async function tuneBatchSize<T, V>(model: Model, labelled: readonly LabelledRecord<T, V>[], options: TuneBatchSizeOptions<V> = {}): Promise<TuneBatchSizeResult> {
  const { sizes = DEFAULT_TUNE_SIZES, tolerance = DEFAULT_TUNE_TOLERANCE, isRight = sameAnswer, onSize, ...rest } = options;
  const predict = checkArguments(model, labelled, sizes, tolerance, rest);
  const inputs = labelled.map((r) => r.input);
  const reports: BatchSizeReport[] = [];
  for (const batchSize of [...new Set(sizes)].sort((a, b) => a - b)) {
    const stats = new RunStats();
    const started = Date.now();
    // The size as the cap too, so a cap among the model's defaults cannot refuse or bend it.
    const results = await predictAll<T, unknown>(model, inputs, { ...predict, batchSize, maxBatchSize: batchSize, stats });
    // A bad key, an unknown model or an endpoint that cannot be reached measures nothing: say so rather than report 0% at every size.
    const stopped = results.find((r): r is PredictFailure<T> => !r.ok && (r.error.fatal === true || r.error.unreachable === true));
    if (stopped) throw new PredictError(stopped);
    const report = measure(batchSize, results, labelled, isRight, stats, Date.now() - started);
    reports.push(report);
    onSize?.(report);
    // Nothing right at the smallest size: no accuracy to hold the others to, so stop before paying for them.
    if (reports.length === 1 && report.right === 0) throw new Error(noBaseline(report, results, labelled));
  }
  const baseline = reports[0]!;
  const recommended = reports.filter((r) => r.accuracy >= baseline.accuracy - tolerance - 1e-12).at(-1)!.batchSize;
  return { sizes: reports, baseline, recommended, tolerance };
}

function measure<T, V>(batchSize: number, results: PredictResult<T, unknown>[], labelled: readonly LabelledRecord<T, V>[], isRight: (value: unknown, label: V) => boolean, stats: RunStats, wallMs: number): BatchSizeReport {
  let right = 0;
  let wrong = 0;
  let errors = 0;
  results.forEach((result, i) => {
    if (!result.ok) errors++;
    else if (isRight(result.value, labelled[i]!.label)) right++;
    else wrong++;
  });
  const snapshot = stats.snapshot();
  return {
    batchSize,
    records: results.length,
    right,
    wrong,
    errors,
    accuracy: results.length === 0 ? 0 : right / results.length,
    requests: snapshot.requests,
    promptTokens: snapshot.promptTokens,
    completionTokens: snapshot.completionTokens,
    wallMs,
  };
}

/** Why a baseline with no right answer measures nothing, with the first error or wrong value to look at. */
function noBaseline<T, V>(report: BatchSizeReport, results: PredictResult<T, unknown>[], labelled: readonly LabelledRecord<T, V>[]): string {
  const failed = results.find((r): r is PredictFailure<T> => !r.ok);
  const wrongAt = results.findIndex((r) => r.ok);
  const example = failed
    ? `first error: ${failed.error.code}: ${failed.error.message}`
    : `first answer: ${JSON.stringify((results[wrongAt] as { value: unknown }).value)} for the label ${JSON.stringify(labelled[wrongAt]!.label)}`;
  return (
    `tuneBatchSize: no record was answered right at batch size ${report.batchSize} (${report.wrong} wrong, ${report.errors} errors; ${example}), ` +
    'so there is no accuracy to hold larger sizes to: check the instruction, the value field and the labels (or isRight)'
  );
}

/** Strings trimmed and case-insensitive (models vary the case of a label); anything else deeply equal. */
function sameAnswer(value: unknown, label: unknown): boolean {
  if (typeof value === 'string' && typeof label === 'string') return value.trim().toLowerCase() === label.trim().toLowerCase();
  return isDeepStrictEqual(value, label);
}

/** Bad arguments fail before any request, naming what to fix; returns the options each run gets. */
function checkArguments(model: Model, labelled: readonly LabelledRecord[], sizes: readonly number[], tolerance: number, rest: Record<string, unknown>): PredictOptions {
  const fail = (message: string) => {
    throw new TypeError(`tuneBatchSize: ${message}`);
  };
  if (!Array.isArray(labelled) || labelled.length === 0) fail('the labelled sample is empty: give an array of { input, label }');
  const bad = labelled.findIndex((r) => typeof r !== 'object' || r === null || !('input' in r) || !('label' in r));
  if (bad !== -1) fail(`record ${bad} is not { input, label }`);
  if (!Array.isArray(sizes) || sizes.length === 0 || !sizes.every((s) => Number.isInteger(s) && s >= 1 && s <= 10_000)) {
    fail(`option "sizes" must be a non-empty list of integers from 1 to 10000, got ${JSON.stringify(sizes)}`);
  }
  if (typeof tolerance !== 'number' || !(tolerance >= 0 && tolerance <= 1)) fail(`option "tolerance" must be a fraction from 0 to 1 (0.02 is two percentage points), got ${String(tolerance)}`);
  for (const name of ['batchSize', 'batch.size', 'maxBatchSize']) {
    if (rest[name] !== undefined) fail(`option "${name}" is what tuneBatchSize measures; give the sizes to try as "sizes"`);
  }
  // A cache would answer the later sizes from the first one's answers: nothing would be measured.
  if (rest.cache !== undefined && rest.cache !== false) fail('option "cache" would answer later sizes from earlier ones; leave it out');
  if (rest.stats !== undefined) fail('option "stats": each size is counted on its own and reported in the result; leave it out');
  const predict = { ...rest, cache: false } as PredictOptions;
  parseOptions({ ...predict, batchSize: 1, maxBatchSize: 1 }, model, 'tuneBatchSize'); // the run's own options, checked now
  return predict;
}
