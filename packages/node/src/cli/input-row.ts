/** One record of the input as the readers hand it on: readable, or not (with why). */
import { createHash } from 'node:crypto';

export type InputRow =
  /** A record to predict; `line` is where it starts (1-based). */
  | { line: number; record: unknown }
  /** A line that could not be read: it becomes a `bad_input` error row in its place. */
  | { line: number; raw: string; problem: string };

export function isBadRow(row: InputRow): row is Extract<InputRow, { problem: string }> {
  return 'problem' in row;
}

/**
 * A row's fingerprint, for `--resume` to tell whether the input it re-reads is the
 * one an earlier run wrote rows for. The same input read by the same reader gives
 * the same digests; a record and an unreadable line never share one.
 *
 * @example
 * rowDigest({ line: 1, record: { id: 1 } }).equals(rowDigest({ line: 9, record: { id: 1 } })) // → true (lines do not count)
 */
export function rowDigest(row: InputRow): Buffer {
  const hash = createHash('sha256');
  if (isBadRow(row)) hash.update('raw\0').update(row.raw);
  else hash.update('record\0').update(JSON.stringify(row.record) ?? 'undefined');
  return hash.digest();
}
