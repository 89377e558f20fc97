/** One record of the input as the readers hand it on: readable, or not (with why). */
export type InputRow =
  /** A record to predict; `line` is where it starts (1-based). */
  | { line: number; record: unknown }
  /** A line that could not be read: it becomes a `bad_input` error row in its place. */
  | { line: number; raw: string; problem: string };

export function isBadRow(row: InputRow): row is Extract<InputRow, { problem: string }> {
  return 'problem' in row;
}
