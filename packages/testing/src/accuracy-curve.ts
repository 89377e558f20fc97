/**
 * An opt-in accuracy that falls with batch size and with a record's position in
 * the prompt, the way batch prompting behaves in the literature (Cheng et al.
 * 2023; BatchPrompt, ICLR 2024). The simulator answers each record wrongly with
 * probability 1 − accuracy, so a batch-size tuner has a right answer to find,
 * and {@link expectedAccuracy} tells a test what that answer is.
 *
 * The curve, for a prompt of `n` records and a record at 0-based position `p`:
 *
 *     accuracy(n, p) = max(floor, atBatchSize1 − perRecord·(n − 1) − perPosition·p)
 */

/** The accuracy curve's parameters, each from 0 to 1. */
export interface AccuracyCurve {
  /** Accuracy of a prompt holding one record (default 1). */
  atBatchSize1?: number;
  /** Accuracy lost for each record beyond the first in the prompt (default 0). */
  perRecord?: number;
  /** Accuracy lost for each record shown before this one in the prompt (default 0). */
  perPosition?: number;
  /** Accuracy never falls below this (default 0). */
  floor?: number;
}

/**
 * The probability that the record at `position` (0-based) of a prompt of
 * `batchSize` records is answered right.
 *
 * @example
 * recordAccuracy({ atBatchSize1: 0.98, perRecord: 0.004, perPosition: 0.002, floor: 0.5 }, 10, 3);
 * // → 0.98 − 0.004·9 − 0.002·3 = 0.938
 */
export function recordAccuracy(curve: AccuracyCurve, batchSize: number, position: number): number {
  const { atBatchSize1 = 1, perRecord = 0, perPosition = 0, floor = 0 } = curve;
  return Math.max(floor, atBatchSize1 - perRecord * (batchSize - 1) - perPosition * position);
}

/**
 * The accuracy to expect, averaged over every record, when records go out in
 * prompts of `batchSize`. With `recordCount`, the records are cut into prompts
 * as a batcher would (full prompts, then one smaller prompt with the rest), so
 * the value is exact for a labelled sample of that size; without it, every
 * prompt is full.
 *
 * @example
 * const curve = { atBatchSize1: 0.98, perRecord: 0.004, perPosition: 0.002, floor: 0.5 };
 * expectedAccuracy(curve, 1);       // → 0.98
 * expectedAccuracy(curve, 20);      // → 0.98 − 0.004·19 − 0.002·9.5 = 0.885
 * expectedAccuracy(curve, 20, 50);  // two prompts of 20 and one of 10, weighted by records
 */
export function expectedAccuracy(curve: AccuracyCurve, batchSize: number, recordCount?: number): number {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`expectedAccuracy: batchSize must be an integer ≥ 1, got ${batchSize}`);
  if (recordCount === undefined) return promptSum(curve, batchSize) / batchSize;
  if (!Number.isInteger(recordCount) || recordCount < 1) throw new RangeError(`expectedAccuracy: recordCount must be an integer ≥ 1, got ${recordCount}`);
  const full = Math.floor(recordCount / batchSize);
  const rest = recordCount % batchSize;
  return (full * promptSum(curve, batchSize) + (rest > 0 ? promptSum(curve, rest) : 0)) / recordCount;
}

/** The expected number of right answers in one prompt of `size` records. */
function promptSum(curve: AccuracyCurve, size: number): number {
  let sum = 0;
  for (let position = 0; position < size; position++) sum += recordAccuracy(curve, size, position);
  return sum;
}
