/**
 * Every record's result, kept in the job folder once a run is done, so a run
 * started again on the folder returns them without asking anyone anything.
 * Inputs are not stored: the fingerprint guarantees the caller passed the same
 * records, and each result gets the caller's own input object back. With a
 * `valueSchema`, each answer is kept as the model gave it and read through the
 * schema again: JSON can't keep what a schema may make of it (a Date, a Set, a
 * class instance), so the stored value alone would come back as something else.
 */
import type { StandardSchemaV1 } from '@standard-schema/spec';
import { checkValue } from '../predict/check-value.js';
import type { PredictResult } from '../results/result.js';
import { readJsonLines, writeJsonLines } from './job-dir-files.js';

export type StoredResult = Omit<PredictResult, 'input' | 'key'> & { raw?: unknown };

/**
 * @param raws each answered record's answer before `valueSchema`, by seq (kept instead of its value)
 * @example
 * await writeResults(join(jobDir, 'results.jsonl'), results, raws);
 */
export function writeResults(path: string, results: readonly PredictResult<unknown>[], raws: readonly unknown[] = []): Promise<void> {
  return writeJsonLines(
    path,
    results.map((result) => toStoredResult(result, raws[result.seq])),
  );
}

/**
 * One result as kept: without its input, and with a `valueSchema` its answer
 * before the schema (`raw`) instead of its value.
 *
 * @example
 * toStoredResult(result, raws[result.seq]) // → { ok: true, seq: 3, raw: 'positive', meta: { … } }
 */
export function toStoredResult({ input: _input, key: _key, ...rest }: PredictResult<unknown>, raw: unknown): StoredResult {
  if (!rest.ok || raw === undefined) return rest;
  const { value: _value, ...withoutValue } = rest;
  return { ...withoutValue, raw };
}

/**
 * @param valueSchema the run's schema: a stored answer is read through it again
 * @example
 * const results = await readResults(join(jobDir, 'results.jsonl'), records, schema);
 */
export async function readResults<T>(path: string, records: readonly T[], valueSchema?: StandardSchemaV1): Promise<PredictResult<T>[]> {
  const stored = await readJsonLines<StoredResult>(path);
  if (stored.length !== records.length) throw new Error(`predictDeferred: ${path} holds ${stored.length} results for ${records.length} records; delete the job folder to start over`);
  const results: PredictResult<T>[] = [];
  for (const one of stored) results.push(await fromStoredResult(one, records, valueSchema));
  return results;
}

/**
 * A kept result with its caller's input back, its answer read through `valueSchema` again.
 *
 * @example
 * const result = await fromStoredResult(stored, records, schema);
 */
export async function fromStoredResult<T>({ raw, ...result }: StoredResult, records: readonly T[], valueSchema?: StandardSchemaV1): Promise<PredictResult<T>> {
  const base = { ...result, input: records[result.seq]!, key: result.seq } as PredictResult<T>;
  if (!result.ok || raw === undefined) return base;
  const checked = await checkValue(raw, valueSchema);
  return checked.ok ? ({ ...base, value: checked.value } as PredictResult<T>) : { ok: false, input: base.input, seq: base.seq, key: base.key, error: { code: 'schema', message: checked.message, attempts: base.meta.attempts }, meta: base.meta };
}
