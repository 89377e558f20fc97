/**
 * Finds the JSON in what a model actually says: code fences, prose before and
 * after, pretty printing, a bracketed span that isn't quite JSON (a trailing
 * comma, an unquoted key) with valid JSON inside, and answers cut off mid-array
 * (from which every complete item is salvaged).
 *
 * Linear in the answer's length whatever it holds: one scan finds where each
 * bracketed span ends, each span is handed to `JSON.parse` at most once per place
 * it is looked for, spans nested deeper than {@link MAX_JSON_DEPTH} are never
 * parsed (a model stuck in a loop writes `[[[[…`, and `JSON.parse` is slow on
 * those), and looking inside spans that failed to parse stops at a work limit.
 */
import { answerBody, FENCE, trimmedRange } from '../answer-body.js';
import { readWork, workLimit } from '../read-work.js';

export type ExtractedJson =
  /** A whole JSON value was found; `whole` when it is the entire answer (code fence and spaces aside). */
  | { kind: 'value'; value: unknown; whole: boolean }
  /** The JSON was cut off; these are the complete items of its first array. */
  | { kind: 'partial'; items: unknown[] }
  /** Nothing usable. */
  | { kind: 'none' };

/** One JSON value found in a text. */
export interface FoundJson {
  /** The value; for a span that is not valid JSON, or is cut off, the list of valid JSON inside it. */
  value: unknown;
  /** The value is the entire answer (one code fence and surrounding space aside). */
  whole: boolean;
  /** The span was cut off (never closed): `value` is the list of its complete items. */
  partial: boolean;
}

/**
 * Deeper nesting is no answer a model meant; it is never parsed. Real answers
 * nest a handful of levels (`{"results": [{"index": 1, "value": {…}}]}`).
 */
export const MAX_JSON_DEPTH = 64;

/**
 * `JSON.parse` calls one read may make. A failed parse costs microseconds (V8
 * builds an error), so prose with thousands of bracketed fragments, or a model
 * repeating `[x] ` for a megabyte, would cost seconds without a cap; no answer a
 * model meant needs more tries than this.
 */
export const MAX_JSON_PARSES = 1024;

/**
 * @example
 * extractJson('Sure!\n```json\n[{"index": 1, "answer": "positive"}]\n```')
 * // → { kind: 'value', value: [{ index: 1, answer: 'positive' }], whole: true }
 * extractJson('[{"index": 1, "answer": "pos"}, {"index": 2, "ans')
 * // → { kind: 'partial', items: [{ index: 1, answer: 'pos' }] }
 */
export function extractJson(text: string): ExtractedJson {
  for (const found of findJson(text)) {
    return found.partial ? { kind: 'partial', items: found.value as unknown[] } : { kind: 'value', value: found.value, whole: found.whole };
  }
  return { kind: 'none' };
}

/**
 * Every JSON object or array in `text`, lazily, in the order a reader should try
 * them: inside code fences first, then the whole text from its start. A span that
 * fails to parse is read as the list of the valid JSON inside it; a span that
 * never closes (a cut-off answer) as the list of its complete items, and nothing
 * after it is looked at. The same value may come twice (from a fence and from the
 * whole text); scalars outside objects and arrays are never found.
 *
 * @example
 * [...findJson('I rate it [5]. ```json\n{"a": 1}\n```')].map((f) => f.value) // → [{ a: 1 }, [5], { a: 1 }]
 */
export function* findJson(text: string): Generator<FoundJson> {
  const scanner = new JsonScanner(text);
  const [from, to] = trimmedRange(text, 0, text.length);
  if (from === to) return;
  const fences: Array<[number, number]> = [];
  scanner.add(2 * (to - from));
  for (const m of text.slice(from, to).matchAll(FENCE)) {
    const [start, end] = m.indices![1]!;
    const range = trimmedRange(text, from + start, from + end);
    if (range[0] < range[1]) fences.push(range);
  }
  const whole = answerBody(text);
  for (const [start, end] of [...fences, [from, to] as [number, number]]) {
    for (const found of scanner.topLevel(start, end)) {
      yield { value: found.value, partial: found.partial, whole: !found.inner && found.start === whole[0] && found.end === whole[1] };
    }
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
  return scanSpan(text, start, text.length).end;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_SQUARE = 0x5b;
const CLOSE_SQUARE = 0x5d;
const OPEN_CURLY = 0x7b;
const CLOSE_CURLY = 0x7d;

interface Span {
  start: number;
  /** Exclusive; -1 when the span never closes. */
  end: number;
  /** The deepest nesting inside, the span itself counting 1. */
  depth: number;
}

/** One pass from the opener at `start` to its closer (or `to`); strings are skipped. */
function scanSpan(text: string, start: number, to: number): Span {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = start; i < to; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN_SQUARE || c === OPEN_CURLY) {
      if (++depth > deepest) deepest = depth;
    } else if (c === CLOSE_SQUARE || c === CLOSE_CURLY) {
      if (--depth === 0) return { start, end: i + 1, depth: deepest };
    }
  }
  return { start, end: -1, depth: deepest };
}

function isOpener(c: number): boolean {
  return c === OPEN_SQUARE || c === OPEN_CURLY;
}

/** What one span gave: a parsed value, or (`inner`) the list of values inside it. */
interface SpanValue {
  start: number;
  end: number;
  value: unknown;
  inner: boolean;
  partial: boolean;
}

/** Scans and parses spans of one text within a work limit; see {@link findJson}. */
class JsonScanner {
  readonly #text: string;
  readonly #limit: number;
  #work = 0;
  #parses = 0;

  constructor(text: string) {
    this.#text = text;
    this.#limit = workLimit(text.length);
  }

  add(characters: number): void {
    this.#work += characters;
    readWork.characters += characters;
  }

  get #spent(): boolean {
    return this.#work > this.#limit || this.#parses >= MAX_JSON_PARSES;
  }

  /** Spans at the top level of [from, to): quotes there are prose, not strings. */
  *topLevel(from: number, to: number): Generator<SpanValue> {
    const text = this.#text;
    let i = from;
    while (i < to && !this.#spent) {
      const start = i;
      while (i < to && !isOpener(text.charCodeAt(i))) i++;
      this.add(i - start);
      if (i === to) return;
      const span = this.#scan(i, to);
      const read = this.#read(span, to);
      if (read !== undefined) yield read;
      // A span that never closes holds the rest of the text.
      if (span.end === -1) return;
      i = span.end;
    }
  }

  #scan(start: number, to: number): Span {
    const span = scanSpan(this.#text, start, to);
    this.add((span.end === -1 ? to : span.end) - start);
    return span;
  }

  /** The span's value, or the list of values inside it when it doesn't parse or never closes. */
  #read(span: Span, to: number): SpanValue | undefined {
    if (span.depth > MAX_JSON_DEPTH || this.#spent) return undefined;
    const closed = span.end !== -1;
    if (closed) {
      const parsed = this.#parse(span.start, span.end);
      if (parsed.ok) return { start: span.start, end: span.end, value: parsed.value, inner: false, partial: false };
    }
    const inner = this.#inside(span, closed ? span.end - 1 : to);
    return inner.length === 0 ? undefined : { start: span.start, end: span.end, value: inner, inner: true, partial: !closed };
  }

  /** Values of the spans directly inside `parent` (spread from those read inside), strings skipped. */
  #inside(parent: Span, to: number): unknown[] {
    const text = this.#text;
    const values: unknown[] = [];
    let inString = false;
    let i = parent.start + 1;
    while (i < to && !this.#spent) {
      const start = i;
      for (; i < to; i++) {
        const c = text.charCodeAt(i);
        if (inString) {
          if (c === BACKSLASH) i++;
          else if (c === QUOTE) inString = false;
        } else if (c === QUOTE) inString = true;
        else if (isOpener(c)) break;
      }
      this.add(i - start);
      if (i >= to) break;
      const child = this.#scan(i, to);
      const read = this.#read(child, to);
      if (read?.inner) for (const value of read.value as unknown[]) values.push(value);
      else if (read !== undefined) values.push(read.value);
      if (child.end === -1) break;
      i = child.end;
    }
    return values;
  }

  #parse(start: number, end: number): { ok: true; value: unknown } | { ok: false } {
    this.add(end - start);
    this.#parses++;
    try {
      return { ok: true, value: JSON.parse(this.#text.slice(start, end)) };
    } catch {
      return { ok: false };
    }
  }
}
