/**
 * Finds the JSON in what a model actually says: code fences, prose before and
 * after, pretty printing, and answers cut off mid-array (from which every complete
 * item is salvaged).
 */

export type ExtractedJson =
  /** A whole JSON value was found. */
  | { kind: 'value'; value: unknown }
  /** The JSON was cut off; these are the complete items of its first array. */
  | { kind: 'partial'; items: unknown[] }
  /** Nothing usable. */
  | { kind: 'none' };

const FENCE = /```[a-zA-Z0-9_-]*[ \t]*\r?\n?([\s\S]*?)(?:```|$)/g;

/**
 * @example
 * extractJson('Sure!\n```json\n[{"index": 1, "answer": "positive"}]\n```')
 * // → { kind: 'value', value: [{ index: 1, answer: 'positive' }] }
 * extractJson('[{"index": 1, "answer": "pos"}, {"index": 2, "ans')
 * // → { kind: 'partial', items: [{ index: 1, answer: 'pos' }] }
 */
export function extractJson(text: string): ExtractedJson {
  const trimmed = text.trim();
  if (trimmed === '') return { kind: 'none' };
  const whole = tryParse(trimmed);
  if (whole.ok && whole.value !== null && typeof whole.value === 'object') return { kind: 'value', value: whole.value };

  const candidates = [...trimmed.matchAll(FENCE)].map((m) => m[1]!.trim()).filter(Boolean);
  candidates.push(trimmed);
  for (const candidate of candidates) {
    const found = firstBalancedJson(candidate);
    if (found !== undefined) return { kind: 'value', value: found };
  }
  for (const candidate of candidates) {
    const items = salvageArrayItems(candidate);
    if (items.length > 0) return { kind: 'partial', items };
  }
  return { kind: 'none' };
}

function tryParse(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

/**
 * The end (exclusive) of the balanced JSON object/array starting at `start`, or -1
 * when it is never closed; brackets inside strings don't count.
 *
 * @example
 * balancedEnd('x [1, "]", [2]] y', 2) // → 15
 */
export function balancedEnd(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '[' || c === '{') depth++;
    else if (c === ']' || c === '}') {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}

function firstBalancedJson(text: string): unknown {
  for (let start = text.search(/[[{]/); start !== -1; ) {
    const end = balancedEnd(text, start);
    // Unclosed: the rest is inside a cut-off structure, whose parts are not answers on their own.
    if (end === -1) return undefined;
    const parsed = tryParse(text.slice(start, end));
    if (parsed.ok) return parsed.value;
    const next = text.slice(start + 1).search(/[[{]/);
    start = next === -1 ? -1 : start + 1 + next;
  }
  return undefined;
}

/** Complete `{…}` items of the first array, for answers truncated mid-way. */
function salvageArrayItems(text: string): unknown[] {
  const items: unknown[] = [];
  let i = text.indexOf('[');
  if (i === -1) return items;
  for (i = text.indexOf('{', i); i !== -1; i = text.indexOf('{', i)) {
    const end = balancedEnd(text, i);
    if (end === -1) break;
    const parsed = tryParse(text.slice(i, end));
    if (parsed.ok) items.push(parsed.value);
    i = end;
  }
  return items;
}
