/**
 * Cuts a batch formed earlier into parts that fit the limits learned since: no
 * part over `maxTokens` (a record alone over it stands alone) or over `size`
 * records, and parts of even size rather than full ones and a stub.
 */

export interface CutLimits {
  size: number;
  maxTokens?: number;
  /** The first part's size, when it differs (a timing probe). */
  firstSize?: number;
}

/**
 * @example
 * cutBatch(items, { size: 12 }).map((part) => part.length)  // 50 items → [10, 10, 10, 10, 10]
 * cutBatch(items, { size: 50, maxTokens: 1000 })            // parts of at most 1000 tokens
 */
export function cutBatch<T extends { tokens: number }>(batch: readonly T[], limits: CutLimits): T[][] {
  const parts: T[][] = [];
  let rest = batch;
  const first = limits.firstSize;
  if (first !== undefined && first !== limits.size && first >= 1 && rest.length > Math.min(first, limits.size)) {
    const [head] = byTokens(rest.slice(0, first), limits.maxTokens);
    parts.push(head!);
    rest = rest.slice(head!.length);
  }
  for (const group of byTokens(rest, limits.maxTokens)) parts.push(...evenly(group, limits.size));
  return parts;
}

/** Greedy runs whose token sum stays within `maxTokens`. */
function byTokens<T extends { tokens: number }>(items: readonly T[], maxTokens: number | undefined): T[][] {
  if (maxTokens === undefined) return items.length === 0 ? [] : [[...items]];
  const groups: T[][] = [];
  let current: T[] = [];
  let sum = 0;
  for (const item of items) {
    if (current.length > 0 && sum + item.tokens > maxTokens) {
      groups.push(current);
      current = [];
      sum = 0;
    }
    current.push(item);
    sum += item.tokens;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

/** `items` in ⌈n / size⌉ parts whose sizes differ by at most one. */
function evenly<T>(items: T[], size: number): T[][] {
  if (items.length <= size) return [items];
  const count = Math.ceil(items.length / Math.max(1, size));
  const parts: T[][] = [];
  let start = 0;
  for (let i = 0; i < count; i++) {
    const end = start + Math.floor(items.length / count) + (i < items.length % count ? 1 : 0);
    parts.push(items.slice(start, end));
    start = end;
  }
  return parts;
}
