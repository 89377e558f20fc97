/**
 * Where the answer itself sits in a model's text: what is left once surrounding
 * space and one enclosing code fence are trimmed. A lone record's answer that
 * carries no index is taken only when it is all of this, so a value never comes
 * from a fragment of prose.
 */

/** A code fence: its language tag, then everything up to the closing fence (or the end, when cut off). */
export const FENCE = /```[a-zA-Z0-9_-]*[ \t]*\r?\n?([\s\S]*?)(?:```|$)/dg;

/**
 * @returns `[from, to)` in `text`
 *
 * @example
 * answerBody('  ```json\n{"a": 1}\n```\n') // → [10, 18], the range of '{"a": 1}'
 * answerBody('Sure: {"a": 1}')           // → [0, 14]
 */
export function answerBody(text: string): [number, number] {
  const [from, to] = trimmedRange(text, 0, text.length);
  const fence = new RegExp(FENCE.source, 'd').exec(text.slice(from, to));
  if (fence === null || fence.index !== 0 || fence[0].length !== to - from) return [from, to];
  const [start, end] = fence.indices![1]!;
  return trimmedRange(text, from + start, from + end);
}

/**
 * `[from, to)` with white space trimmed at both ends.
 *
 * @example
 * trimmedRange('  ab ', 0, 5) // → [2, 4]
 */
export function trimmedRange(text: string, from: number, to: number): [number, number] {
  while (from < to && isSpace(text.charCodeAt(from))) from++;
  while (to > from && isSpace(text.charCodeAt(to - 1))) to--;
  return [from, to];
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x0b || c === 0x0c || c === 0xa0 || c === 0xfeff;
}
