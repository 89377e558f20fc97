/**
 * How a cassette recognizes a request again. A batch prompt is keyed per record
 * and prompt context, so a replay whose batches form differently (other size,
 * timing, concurrency) still finds every record; anything else is keyed whole.
 */
import { createHash } from 'node:crypto';
import type { ChatMessage } from '@mlpredict/core';
import { readBatchPrompt, readJsonString, type PromptRecord } from '../prompt-reading.js';

/** What stands for the records in a context's prompt. */
export const RECORDS_PLACEHOLDER = '{{records}}';

export type CassetteRequest =
  /** `Input n: …` records under a JSON answer layout, with one system message at most before them. */
  | { kind: 'batch'; contextKey: string; system?: string; prompt: string; indexField: string; valueField: string; records: PromptRecord[] }
  /** Any other request: replayed only when its messages are exactly the same. */
  | { kind: 'whole'; key: string; messages: Array<{ role: string; content: string }> };

/**
 * @example
 * readCassetteRequest([{ role: 'user', content: 'Rate each.\nInput 1: "Great"\nInput 2: "Bad"\nReturn exactly 2: [{"index": n, "stars": 1}]' }]);
 * // → { kind: 'batch', prompt: 'Rate each.\n{{records}}\nReturn exactly #: [{"index": n, "stars": #}]', indexField: 'index',
 * //     records: [{ index: 1, text: 'Great' }, { index: 2, text: 'Bad' }], contextKey: '…' }
 */
export function readCassetteRequest(messages: readonly ChatMessage[]): CassetteRequest {
  const whole = (): CassetteRequest => {
    const plain = messages.map((m) => ({ role: m.role, content: m.content }));
    return { kind: 'whole', key: hashOf(JSON.stringify(plain.map((m) => [m.role, m.content]))), messages: plain };
  };
  const last = messages.at(-1);
  const before = messages.slice(0, -1);
  if (last?.role !== 'user' || before.length > 1 || before.some((m) => m.role !== 'system')) return whole();

  const batch = readBatchPrompt(last.content);
  if (batch === undefined || batch.layout.kind !== 'json') return whole();
  const prompt = promptContext(last.content, batch.records);
  if (prompt === undefined) return whole();
  const system = before[0]?.content;
  return {
    kind: 'batch',
    contextKey: hashOf(JSON.stringify([system ?? null, prompt])),
    ...(system !== undefined && { system }),
    prompt,
    indexField: batch.indexField,
    valueField: batch.valueField,
    records: batch.records,
  };
}

/** A short, stable hash for keys. */
export function hashOf(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

const MARK = '\u0000';

/**
 * The user message without its records (their run becomes `{{records}}`) and with
 * every digit run written `#`, so "exactly 20 objects" and "exactly 7 objects"
 * match. Undefined when a record can't be found where the reader saw it.
 */
function promptContext(user: string, records: readonly PromptRecord[]): string | undefined {
  let out = '';
  let cursor = 0;
  for (const record of records) {
    const label = `Input ${record.index}:`;
    let at = user.indexOf(label, cursor);
    while (at > 0 && !/[\s,;]/.test(user[at - 1]!)) at = user.indexOf(label, at + 1);
    if (at === -1) return undefined;
    let start = at + label.length;
    while (user[start] === ' ' || user[start] === '\t') start++;
    const end = recordEnd(user, start, record.text);
    if (end === undefined) return undefined;
    out += user.slice(cursor, at) + MARK;
    cursor = end;
  }
  out += user.slice(cursor);
  return out.replace(new RegExp(`${MARK}(?:[\\s,;]*${MARK})*`, 'g'), RECORDS_PLACEHOLDER).replace(/\d+/g, '#');
}

/** Where the record's text, quoted as a JSON string or as it is, ends. */
function recordEnd(user: string, start: number, text: string): number | undefined {
  if (user[start] === '"') {
    const quoted = readJsonString(user, start);
    if (quoted?.text === text) return quoted.end;
  }
  return user.startsWith(text, start) ? start + text.length : undefined;
}
