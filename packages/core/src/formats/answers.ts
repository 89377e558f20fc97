/**
 * What every reader gives back: answers by index, before they are matched to
 * records, and the one rule for reading an index.
 */

/** One answer as read, before it is matched to a record. */
export interface RawAnswer {
  index: number;
  value: unknown;
}

export interface ReadAnswers {
  answers: RawAnswer[];
  /** The answer was cut off; `answers` holds what was complete. */
  partial: boolean;
  /** Nothing could be read at all. */
  unusable: boolean;
  /** For a one-record request: a value given without any index, as the entire answer. */
  unindexed?: unknown;
  warnings: string[];
}

/** `3`, `"3"`, `" 3 "`, `"Input 3"`, `"#3"` → 3. */
export function parseIndex(raw: unknown): number | undefined {
  if (typeof raw === 'number') return Number.isInteger(raw) ? raw : undefined;
  if (typeof raw !== 'string') return undefined;
  const match = /^\s*(?:input\s*|#)?(-?\d+)\s*$/i.exec(raw);
  return match ? Number(match[1]) : undefined;
}
