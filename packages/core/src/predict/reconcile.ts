/**
 * The reconcile stage: matches read answers to the records of one request by
 * index, never by position.
 */
import { isDeepStrictEqual } from 'node:util';
import type { RawAnswer } from '../formats/json/read-json-answers.js';

export interface Reconciled {
  /** Position in the request (0-based) → value. */
  values: Map<number, unknown>;
  /** Positions with no usable answer: absent, or given twice with different values. */
  missing: number[];
  warnings: string[];
}

/**
 * @param answers what the parser read
 * @param count records in the request
 * @param indexBase the first index the prompt used (0 or 1)
 *
 * Index bases: a model asked to count from 1 sometimes counts from 0 (or the
 * reverse). Answers that are exactly the other range, complete, are shifted back.
 * Otherwise the mapping is trusted only with an anchor: the index the other base
 * can't produce (the last one when counting from 1, index 0 when counting from 0).
 * Without it (a 0-based answer missing its first item looks exactly like a 1-based
 * one missing its last) every record counts as missing and is asked again: a
 * wasted request beats a silent wrong value. A truncated answer (`partial`) is
 * trusted without the anchor, since truncation removes the last items.
 *
 * @example
 * reconcile([{ index: 2, value: 'neg' }, { index: 1, value: 'pos' }], 2, 1).values // → Map { 0 → 'pos', 1 → 'neg' }
 */
export function reconcile(answers: readonly RawAnswer[], count: number, indexBase: number, partial = false): Reconciled {
  const warnings: string[] = [];
  const shift = detectShift(answers, count, indexBase, partial);
  if (shift === 'ambiguous') {
    warnings.push(`cannot tell which index base the answers use; asking again`);
    return { values: new Map(), missing: Array.from({ length: count }, (_, p) => p), warnings };
  }
  if (shift !== 0) warnings.push(`answers were indexed from ${indexBase - shift}, not ${indexBase}; shifted`);

  const seen = new Map<number, unknown>();
  const conflicted = new Set<number>();
  for (const answer of answers) {
    const position = answer.index + shift - indexBase;
    if (position < 0 || position >= count) {
      warnings.push(`ignored an answer for unknown index ${answer.index}`);
      continue;
    }
    if (!seen.has(position)) seen.set(position, answer.value);
    else if (!isDeepStrictEqual(seen.get(position), answer.value)) conflicted.add(position);
  }
  for (const position of conflicted) {
    warnings.push(`index ${position + indexBase} was answered twice with different values; asking again`);
    seen.delete(position);
  }
  const missing: number[] = [];
  for (let p = 0; p < count; p++) if (!seen.has(p)) missing.push(p);
  return { values: seen, missing, warnings };
}

function detectShift(answers: readonly RawAnswer[], count: number, indexBase: number, partial: boolean): number | 'ambiguous' {
  if (answers.length === 0) return 0;
  const indices = new Set(answers.map((a) => a.index));
  const offRange = indexBase === 1 ? 0 : count;
  if (!indices.has(offRange)) {
    const anchor = indexBase === 1 ? count : 0;
    return indices.has(anchor) || (partial && indexBase === 1) ? 0 : 'ambiguous';
  }
  const shift = indexBase === 1 ? 1 : -1;
  const shifted = [...indices].map((i) => i + shift);
  const exactlyShifted = shifted.length === count && shifted.every((i) => i >= indexBase && i < indexBase + count);
  return exactlyShifted ? shift : 'ambiguous';
}
