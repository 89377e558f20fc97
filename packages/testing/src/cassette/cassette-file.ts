/**
 * The cassette on disk: a JSON file meant to be committed and reviewed, so it is
 * written the same way every time (keys sorted, two-space indent, vectors on one
 * line, a trailing newline) and replaced atomically (temp file + rename).
 */
import { readFileSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { TokenUsage } from '@mlpredict/core';

export const CASSETTE_VERSION = 1;

/** One record's recorded answer within a prompt context. */
export interface RecordedItem {
  /** The answer's item for this record, less its index field. */
  item: Record<string, unknown>;
  /** This record's share of the request's token usage. */
  usage?: TokenUsage;
}

/**
 * Batch prompts, by prompt context: the same instructions (system message and
 * user message with the record lines taken out and every number written `#`),
 * whatever records a batch held and however many.
 */
export interface RecordedContext {
  system?: string;
  /** The user message as matched: records replaced by `{{records}}`, digits by `#`. */
  prompt: string;
  indexField: string;
  /** By the record's text as the prompt shows it. */
  records: Record<string, RecordedItem>;
}

/** A request that is not a batch prompt, answered as a whole. */
export interface RecordedPrompt {
  messages: Array<{ role: string; content: string }>;
  response: { text: string; finishReason?: string; usage?: TokenUsage };
}

/** One embedded text. */
export interface RecordedEmbedding {
  vector: number[];
  usage?: TokenUsage;
}

export interface CassetteData {
  version: number;
  /** By prompt-context hash. */
  batches: Record<string, RecordedContext>;
  /** By hash of the whole request's messages. */
  prompts: Record<string, RecordedPrompt>;
  /** By the embedded text. */
  embeddings: Record<string, RecordedEmbedding>;
}

export function emptyCassette(): CassetteData {
  return { version: CASSETTE_VERSION, batches: {}, prompts: {}, embeddings: {} };
}

/** Reads a cassette; `undefined` when the file does not exist. Throws on a file it can't use. */
export function readCassetteFile(path: string): CassetteData | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`withCassette: ${path} is not valid JSON (${(error as Error).message}); fix it or delete it and record again`);
  }
  const data = parsed as Partial<CassetteData> | null;
  if (data === null || typeof data !== 'object' || data.version !== CASSETTE_VERSION) {
    throw new Error(`withCassette: ${path} is not a version ${CASSETTE_VERSION} cassette (version: ${JSON.stringify(data?.version)}); record it again`);
  }
  return { version: CASSETTE_VERSION, batches: data.batches ?? {}, prompts: data.prompts ?? {}, embeddings: data.embeddings ?? {} };
}

let tmpCounter = 0;

/** Writes `text` to `path` through a temp file beside it, so a reader never sees half a file. */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.${++tmpCounter}.tmp`;
  try {
    await writeFile(tmp, text, 'utf8');
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
}

/**
 * JSON with sorted keys and two-space indent; arrays of numbers stay on one line
 * (an embedding is one line, not 1,536).
 *
 * @example
 * stableJson({ b: 1, a: [1, 2] }) // → '{\n  "a": [1, 2],\n  "b": 1\n}\n'
 */
export function stableJson(value: unknown): string {
  return `${write(value, '')}\n`;
}

function write(value: unknown, indent: string): string {
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    if (value.every((v) => typeof v === 'number')) return `[${value.map((v) => JSON.stringify(v)).join(', ')}]`;
    const inner = `${indent}  `;
    return `[\n${value.map((v) => inner + write(v ?? null, inner)).join(',\n')}\n${indent}]`;
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    if (entries.length === 0) return '{}';
    const inner = `${indent}  `;
    return `{\n${entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${write(v, inner)}`).join(',\n')}\n${indent}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
