/**
 * The parse stage for `responseFormat: 'json'`: model text → `{ index, value }`
 * answers. It never guesses by position. A value without an index is offered
 * (as `unindexed`, for a one-record request) only when it is the entire answer:
 * a bracketed fragment of prose (`I'd rate it 4 out of [5]`) is never a value.
 */
import { JSONPath } from 'jsonpath-plus';
import { findJson, type FoundJson } from './extract-json.js';
import { MAX_ANSWERS, tooManyAnswers } from '../read-work.js';
import { parseIndex, type RawAnswer, type ReadAnswers } from '../answers.js';

export interface JsonAnswerOptions {
  responsePath: string;
  indexField: string;
  /** Undefined: the whole item, less its index field, is the value. */
  valueField?: string;
}

/**
 * Tries each JSON value in the text in turn (fenced first) and reads the first
 * one that holds indexed answers.
 *
 * @example
 * readJsonAnswers('{"results": [{"index": "2", "sentiment": "negative"}]}', { responsePath: '$[*]', indexField: 'index', valueField: 'sentiment' })
 * // → { answers: [{ index: 2, value: 'negative' }], partial: false, unusable: false, warnings: [] }
 */
export function readJsonAnswers(text: string, options: JsonAnswerOptions): ReadAnswers {
  let first: { found: FoundJson; warnings: string[] } | undefined;
  for (const found of findJson(text)) {
    const read = answersIn(found, options);
    if (read.answers.length > MAX_ANSWERS) return tooManyAnswers();
    if (read.answers.length > 0) return { answers: read.answers, partial: found.partial, unusable: false, warnings: read.warnings };
    first ??= { found, warnings: read.warnings };
  }
  // Plain prose is never taken as an answer (it may be a refusal), nor is a fragment of it.
  const unindexed = first?.found.whole ? loneAnswer(first.found.value, options) : undefined;
  // `[]` is an answer that left every record out, not one that couldn't be read.
  const empty = first?.found.whole === true && Array.isArray(first.found.value) && first.found.value.length === 0;
  return { answers: [], partial: false, unusable: !empty, ...(unindexed !== undefined && { unindexed }), warnings: first?.warnings ?? [] };
}

/** Warnings about ignored items kept per read; a degenerate answer could otherwise make one per item. */
const MAX_ITEM_WARNINGS = 5;

function answersIn(found: FoundJson, options: JsonAnswerOptions): { answers: RawAnswer[]; warnings: string[] } {
  const answers: RawAnswer[] = [];
  const warnings: string[] = [];
  let ignored = 0;
  for (const item of findItems(found.value, options)) {
    if (answers.length > MAX_ANSWERS) break;
    const answer = toAnswer(item, options);
    if (answer === 'no-index') continue;
    if (answer === undefined) {
      if (++ignored <= MAX_ITEM_WARNINGS) warnings.push(`ignored an item without "${options.valueField}": ${JSON.stringify(item).slice(0, 80)}`);
      continue;
    }
    answers.push(answer);
  }
  if (ignored > MAX_ITEM_WARNINGS) warnings.push(`ignored ${ignored - MAX_ITEM_WARNINGS} more items without "${options.valueField}"`);
  return { answers, warnings };
}

/** A whole answer with no index: an object (or a list of just one) without the index field. */
function loneAnswer(root: unknown, options: JsonAnswerOptions): unknown {
  const only = Array.isArray(root) ? (root.length === 1 ? root[0] : undefined) : root;
  return isRecord(only) && !(options.indexField in only) ? valueOf(only, options) : undefined;
}

/** The list of answer items: by `responsePath`, else the first array of indexed objects, else an index-keyed object. */
function findItems(root: unknown, options: JsonAnswerOptions): unknown[] {
  const byPath = itemsAt(root, options.responsePath);
  if (byPath.some((item) => hasIndex(item, options.indexField))) return byPath;
  const nested = firstIndexedArray(root, options.indexField, 0);
  if (nested) return nested;
  if (isRecord(root) && Object.keys(root).length > 0 && Object.keys(root).every((k) => parseIndex(k) !== undefined)) {
    return Object.entries(root).map(([k, v]) => ({ [options.indexField]: k, [options.valueField ?? 'value']: v }));
  }
  return Array.isArray(root) ? root : [root];
}

/**
 * `responsePath` applied to `root`. Plain paths (`$[*]`, `$.results[*]`, `$.data.items.*`)
 * are followed directly: jsonpath-plus spends over a microsecond per item, which
 * a degenerate answer with half a million items turns into a second.
 */
function itemsAt(root: unknown, path: string): unknown[] {
  const plain = /^\$((?:\.[A-Za-z_$][\w$]*)*)(?:\[\*\]|\.\*)$/.exec(path);
  if (plain) {
    let node = root;
    for (const key of plain[1]!.split('.').slice(1)) node = isRecord(node) && Object.hasOwn(node, key) ? node[key] : undefined;
    return Array.isArray(node) ? node : isRecord(node) ? Object.values(node) : [];
  }
  try {
    return JSONPath({ path, json: root as object, wrap: true }) as unknown[];
  } catch {
    return [];
  }
}

/** Looks a few levels down, through objects and arrays alike (`[[{"index": 1, …}]]`). */
function firstIndexedArray(node: unknown, indexField: string, depth: number): unknown[] | undefined {
  if (Array.isArray(node) && node.some((item) => hasIndex(item, indexField))) return node;
  if (depth >= 4 || node === null || typeof node !== 'object') return undefined;
  for (const child of Array.isArray(node) ? node : Object.values(node)) {
    if (child === null || typeof child !== 'object') continue;
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

function valueOf(item: Record<string, unknown>, options: JsonAnswerOptions): unknown {
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
