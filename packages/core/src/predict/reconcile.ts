/**
 * The reconcile stage: matches read answers to the records of one request by
 * index, never by position.
 */
import { isDeepStrictEqual } from 'node:util';
import type { RawAnswer } from '../formats/answers.js';

export interface Reconciled {
  /** Position in the request (0-based) → value. */
  values: Map<number, unknown>;
  /** Positions with no usable answer. */
  missing: number[];
  /** The answer's numbering can't be trusted, so none of it was taken: ask again. */
  untrusted: boolean;
  /**
   * Untrusted only for a missing first index (counting from 1, complete): the first
   * record was left out, or the numbering ran one too high and lost its last item.
   * Asking the rest without the first record tells which.
   */
  firstInDoubt?: boolean;
  warnings: string[];
}

/**
 * @param answers what the parser read
 * @param count records in the request
 * @param indexBase the first index the prompt used (0 or 1)
 *
 * A wrong index gives a record its neighbour's value, which no check downstream
 * can catch, so an answer is taken whole or not at all. It is distrusted — no
 * values, every record missing, `untrusted` set, so the batch is asked again or
 * split — when it has an index outside the batch (all indices one too high; an
 * invented item with the list renumbered), or one index answered twice with
 * different values. More items than records always means one of those. An index
 * answered twice with the same value is harmless.
 *
 * Index bases: a model asked to count from 1 sometimes counts from 0 (or the
 * reverse). An answer that is exactly the other range, complete, is shifted back.
 * Otherwise the mapping is trusted only with an anchor: the index the other base
 * can't produce (the last one when counting from 1, index 0 when counting from 0).
 * Without it (a 0-based answer missing its first item looks exactly like a 1-based
 * one missing its last) the answer is distrusted too: a wasted request beats a
 * silent wrong value. A truncated answer (`partial`) has no last index, since
 * truncation removes the last items: counting from 1, its anchor is the first
 * index, for an answer numbered one too high and cut off (`2..k`) holds only
 * indices inside the batch. A complete answer counting from 1 needs its first
 * index as well: `2..N` is the first record left out, or a numbering one too high
 * that lost its last item; none of it is taken, and `firstInDoubt` says so.
 *
 * @example
 * reconcile([{ index: 2, value: 'neg' }, { index: 1, value: 'pos' }], 2, 1).values // → Map { 0 → 'pos', 1 → 'neg' }
 * reconcile([{ index: 2, value: 'pos' }, { index: 3, value: 'neg' }], 2, 1).untrusted // → true: 3 is outside 1..2
 */
export function reconcile(answers: readonly RawAnswer[], count: number, indexBase: number, partial = false): Reconciled {
  const detected = detectShift(answers, count, indexBase, partial);
  if (detected === 'ambiguous') return distrusted(count, 'cannot tell which index base the answers use');
  const shift = detected === 'first-in-doubt' ? 0 : detected;
  const warnings: string[] = [];
  if (shift !== 0) warnings.push(`answers were indexed from ${indexBase - shift}, not ${indexBase}; shifted`);

  const values = new Map<number, unknown>();
  for (const answer of answers) {
    const position = answer.index + shift - indexBase;
    if (!(position >= 0 && position < count)) {
      return distrusted(count, `index ${answer.index} is outside the batch (${indexBase}..${indexBase + count - 1})`);
    }
    if (!values.has(position)) values.set(position, answer.value);
    else if (!isDeepStrictEqual(values.get(position), answer.value)) {
      return distrusted(count, `index ${answer.index} was answered twice with different values`);
    }
  }
  if (detected === 'first-in-doubt') {
    return { ...distrusted(count, `no answer for index ${indexBase}: the first record left out, or every index one too high and the last lost`), firstInDoubt: true };
  }
  const missing: number[] = [];
  for (let p = 0; p < count; p++) if (!values.has(p)) missing.push(p);
  return { values, missing, untrusted: false, warnings };
}

function distrusted(count: number, why: string): Reconciled {
  return {
    values: new Map(),
    missing: Array.from({ length: count }, (_, p) => p),
    untrusted: true,
    warnings: [`the answer's numbering can't be trusted (${why}); asking again`],
  };
}

function detectShift(answers: readonly RawAnswer[], count: number, indexBase: number, partial: boolean): number | 'ambiguous' | 'first-in-doubt' {
  if (answers.length === 0) return 0;
  const indices = new Set(answers.map((a) => a.index));
  const offRange = indexBase === 1 ? 0 : count;
  if (!indices.has(offRange)) {
    // From 0, index 0 rules out a 1-based answer. From 1, the last index rules out a 0-based one; a cut-off
    // answer has no last index, and its first rules out a numbering one too high whose end was cut off.
    const anchored = indexBase === 0 ? indices.has(0) : partial ? indices.has(1) : indices.has(count);
    if (!anchored) return 'ambiguous';
    return indexBase === 1 && !indices.has(1) ? 'first-in-doubt' : 0;
  }
  const shift = indexBase === 1 ? 1 : -1;
  const shifted = [...indices].map((i) => i + shift);
  const exactlyShifted = shifted.length === count && shifted.every((i) => i >= indexBase && i < indexBase + count);
  return exactlyShifted ? shift : 'ambiguous';
}
