/**
 * A batch answer taken apart into one item per record (for recording), and put
 * back together for whatever batch a replay forms.
 */
import type { TokenUsage } from '@mlpredict/core';
import { extractJson } from '@mlpredict/core/internals';
import type { PromptRecord } from '../prompt-reading.js';

type Item = Record<string, unknown>;

/**
 * Each record's item in a model's answer, less its index field, read leniently
 * (fences, prose around it, a wrapping object, a cut-off array). A record answered
 * twice with different items, or not at all, gets none. A one-record request
 * answered with an object and no index takes that object.
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
  const conflicted = new Set<number>();
  for (const item of items) {
    if (!isObject(item)) continue;
    const index = parseIndex(item[indexField]);
    if (index === undefined || !wanted.has(index)) continue;
    const { [indexField]: _index, ...rest } = item;
    const seen = found.get(index);
    if (seen !== undefined && JSON.stringify(seen) !== JSON.stringify(rest)) conflicted.add(index);
    else found.set(index, rest);
  }
  for (const index of conflicted) found.delete(index);

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

/** `3`, `"3"`, `"Input 3"`, `"#3"` → 3, as mlpredict's parser reads indices. */
function parseIndex(raw: unknown): number | undefined {
  if (typeof raw === 'number') return Number.isInteger(raw) ? raw : undefined;
  if (typeof raw !== 'string') return undefined;
  const match = /^\s*(?:input\s*|#)?(-?\d+)\s*$/i.exec(raw);
  return match ? Number(match[1]) : undefined;
}
