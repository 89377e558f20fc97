/**
 * Every record's result, kept in the job folder once a run is done, so a run
 * started again on the folder returns them without asking anyone anything.
 * Inputs are not stored: the fingerprint guarantees the caller passed the same
 * records, and each result gets the caller's own input object back.
 */
import type { PredictResult } from '../results/result.js';
import { readJsonLines, writeJsonLines } from './job-dir-files.js';

type StoredResult = Omit<PredictResult, 'input' | 'key'>;

/**
 * @example
 * await writeResults(join(jobDir, 'results.jsonl'), results);
 */
export function writeResults(path: string, results: readonly PredictResult<unknown>[]): Promise<void> {
  return writeJsonLines(
    path,
    results.map(({ input: _input, key: _key, ...rest }) => rest),
  );
}

/**
 * @example
 * const results = await readResults(join(jobDir, 'results.jsonl'), records);
 */
export async function readResults<T>(path: string, records: readonly T[]): Promise<PredictResult<T>[]> {
  const stored = await readJsonLines<StoredResult>(path);
  if (stored.length !== records.length) throw new Error(`predictDeferred: ${path} holds ${stored.length} results for ${records.length} records; delete the job folder to start over`);
  return stored.map((result) => ({ ...result, input: records[result.seq]!, key: result.seq }) as PredictResult<T>);
}
