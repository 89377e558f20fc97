/**
 * The parse stage for `responseFormat: 'json'`: model text → `{ index, value }`
 * answers. It never guesses by position, except for a one-record request, where
 * a bare answer can only belong to that record.
 */
import { JSONPath } from 'jsonpath-plus';
import { extractJson } from './extract-json.js';

export interface JsonAnswerOptions {
  responsePath: string;
  indexField: string;
  /** Undefined: the whole item, less its index field, is the value. */
  valueField?: string;
}

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
  /** For a one-record request: a value given without any index. */
  unindexed?: unknown;
  warnings: string[];
}

/**
 * @example
 * readJsonAnswers('{"results": [{"index": "2", "sentiment": "negative"}]}', { responsePath: '$[*]', indexField: 'index', valueField: 'sentiment' })
 * // → { answers: [{ index: 2, value: 'negative' }], partial: false, unusable: false, warnings: [] }
 */
export function readJsonAnswers(text: string, options: JsonAnswerOptions): ReadAnswers {
  const warnings: string[] = [];
  const extracted = extractJson(text);
  // Plain prose is never taken as an answer: it may be a refusal.
  if (extracted.kind === 'none') return { answers: [], partial: false, unusable: true, warnings };
  const items = extracted.kind === 'partial' ? extracted.items : findItems(extracted.value, options);
  const answers: RawAnswer[] = [];
  let unindexed: unknown;
  for (const item of items) {
    const answer = toAnswer(item, options);
    if (answer === 'no-index') {
      unindexed ??= valueOf(item, options);
      continue;
    }
    if (answer === undefined) {
      warnings.push(`ignored an item without "${options.valueField}": ${JSON.stringify(item).slice(0, 80)}`);
      continue;
    }
    answers.push(answer);
  }
  return { answers, partial: extracted.kind === 'partial', unusable: answers.length === 0, unindexed, warnings };
}

/** The list of answer items: by `responsePath`, else the first array of indexed objects, else an index-keyed object. */
function findItems(root: unknown, options: JsonAnswerOptions): unknown[] {
  const byPath = JSONPath({ path: options.responsePath, json: root as object, wrap: true }) as unknown[];
  if (byPath.some((item) => hasIndex(item, options.indexField))) return byPath;
  const nested = firstIndexedArray(root, options.indexField, 0);
  if (nested) return nested;
  if (isRecord(root) && Object.keys(root).length > 0 && Object.keys(root).every((k) => parseIndex(k) !== undefined)) {
    return Object.entries(root).map(([k, v]) => ({ [options.indexField]: k, [options.valueField ?? 'value']: v }));
  }
  return Array.isArray(root) ? root : [root];
}

function firstIndexedArray(node: unknown, indexField: string, depth: number): unknown[] | undefined {
  if (depth > 4) return undefined;
  if (Array.isArray(node)) return node.some((item) => hasIndex(item, indexField)) ? node : undefined;
  if (!isRecord(node)) return undefined;
  for (const child of Object.values(node)) {
    const found = firstIndexedArray(child, indexField, depth + 1);
    if (found) return found;
  }
  return undefined;
}

function toAnswer(item: unknown, options: JsonAnswerOptions): RawAnswer | 'no-index' | undefined {
  if (!isRecord(item) || !(options.indexField in item)) return 'no-index';
  const index = parseIndex(item[options.indexField]);
  if (index === undefined) return 'no-index';
  const value = valueOf(item, options);
  return value === undefined ? undefined : { index, value };
}

function valueOf(item: unknown, options: JsonAnswerOptions): unknown {
  if (!isRecord(item)) return item;
  if (options.valueField !== undefined) return item[options.valueField];
  const { [options.indexField]: _index, ...rest } = item;
  return rest;
}

function hasIndex(item: unknown, indexField: string): boolean {
  return isRecord(item) && indexField in item;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** `3`, `"3"`, `" 3 "`, `"Input 3"`, `"#3"` → 3. */
export function parseIndex(raw: unknown): number | undefined {
  if (typeof raw === 'number') return Number.isInteger(raw) ? raw : undefined;
  if (typeof raw !== 'string') return undefined;
  const match = /^\s*(?:input\s*|#)?(-?\d+)\s*$/i.exec(raw);
  return match ? Number(match[1]) : undefined;
}
