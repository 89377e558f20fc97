/**
 * A batch answer taken apart into one item per record (for recording), and put
 * back together for whatever batch a replay forms.
 */
import type { TokenUsage } from '@mlpredict/core';
import { extractJson, parseIndex } from '@mlpredict/core/internals';
import type { PromptRecord } from '../prompt-reading.js';

type Item = Record<string, unknown>;

/**
 * Each record's item in a model's answer, less its index field, read leniently
 * (fences, prose around it, a wrapping object, a cut-off array). An answer whose
 * numbering can't be trusted — an index the request did not use, more items than
 * records, a record answered twice with different items — gives nothing at all, as
 * the engine's reconcile does: a recording of a lying model must not replay its lie
 * as values. A one-record request answered with an object and no index takes it.
 *
 * @example
 * itemsByRecord('```json\n[{"index": 2, "label": "b"}, {"index": 1, "label": "a"}]\n```', [{ index: 1, text: 'x' }, { index: 2, text: 'y' }], 'index');
 * // → Map { 1 → { label: 'a' }, 2 → { label: 'b' } }
 */
export function itemsByRecord(text: string, records: readonly PromptRecord[], indexField: string, valueField = 'answer'): Map<number, Item> {
  const extracted = extractJson(text);
  const found = new Map<number, Item>();
  if (extracted.kind === 'none') return found;
  const items = extracted.kind === 'partial' ? extracted.items : itemsOf(extracted.value, indexField, valueField);
  const wanted = new Set(records.map((r) => r.index));
  const indexed = items.filter((item): item is Item => isObject(item) && parseIndex(item[indexField]) !== undefined);
  if (indexed.length > records.length) return new Map();
  for (const item of indexed) {
    const index = parseIndex(item[indexField])!;
    if (!wanted.has(index)) return new Map();
    const { [indexField]: _index, ...rest } = item;
    const seen = found.get(index);
    if (seen !== undefined && JSON.stringify(seen) !== JSON.stringify(rest)) return new Map();
    found.set(index, rest);
  }

  if (records.length === 1 && found.size === 0 && extracted.kind === 'value') {
    const root = extracted.value;
    const only = Array.isArray(root) ? (root.length === 1 ? root[0] : undefined) : root;
    if (isObject(only) && !(indexField in only)) found.set(records[0]!.index, only);
  }
  return found;
}

/**
 * The answer a model would have given: a JSON array of the items under the
 * request's own indices, records without an item left out (the run asks again).
 *
 * @example
 * writeItems([[3, { label: 'a' }]], 'index') // → '[{"index":3,"label":"a"}]'
 */
export function writeItems(items: ReadonlyArray<readonly [number, Item]>, indexField: string): string {
  return JSON.stringify(items.map(([index, item]) => ({ [indexField]: index, ...item })));
}

/** Splits a request's usage over its records in whole tokens (the shares add up to the total). */
export function apportion(usage: TokenUsage | undefined, count: number): Array<TokenUsage | undefined> {
  if (usage === undefined || count === 0) return Array.from({ length: count }, () => undefined);
  const split = (total: number) => Array.from({ length: count }, (_, i) => Math.floor(total / count) + (i < total % count ? 1 : 0));
  const prompt = split(usage.promptTokens);
  const completion = split(usage.completionTokens);
  return prompt.map((promptTokens, i) => ({ promptTokens, completionTokens: completion[i]! }));
}

/** The sum of the shares given; undefined when none were recorded. */
export function sumUsage(shares: ReadonlyArray<TokenUsage | undefined>): TokenUsage | undefined {
  const known = shares.filter((u): u is TokenUsage => u !== undefined);
  if (known.length === 0) return undefined;
  return known.reduce((a, b) => ({ promptTokens: a.promptTokens + b.promptTokens, completionTokens: a.completionTokens + b.completionTokens }), { promptTokens: 0, completionTokens: 0 });
}

/** The array of items: the root, the first array of indexed objects within it, or an index-keyed object's entries. */
function itemsOf(root: unknown, indexField: string, valueField: string): unknown[] {
  if (Array.isArray(root)) return root;
  const nested = firstIndexedArray(root, indexField, 0);
  if (nested) return nested;
  if (isObject(root) && Object.keys(root).length > 0 && Object.keys(root).every((k) => parseIndex(k) !== undefined)) {
    return Object.entries(root).map(([k, v]) => ({ [indexField]: k, [valueField]: v }));
  }
  return [root];
}

function firstIndexedArray(node: unknown, indexField: string, depth: number): unknown[] | undefined {
  if (depth > 4) return undefined;
  if (Array.isArray(node)) return node.some((item) => isObject(item) && indexField in item) ? node : undefined;
  if (!isObject(node)) return undefined;
  for (const child of Object.values(node)) {
    const found = firstIndexedArray(child, indexField, depth + 1);
    if (found) return found;
  }
  return undefined;
}

function isObject(value: unknown): value is Item {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
