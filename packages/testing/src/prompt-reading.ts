/**
 * Reads a batch prompt the way a model would: which records it holds, under which
 * indices, and which answer shape it asks for. The simulator and the fake models
 * both answer through this, so they understand prompts identically.
 */
import { balancedEnd } from '@mlpredict/core/internals';

/** One record as the prompt shows it. */
export interface PromptRecord {
  /** The index the prompt gave it (may start at 0, 1 or anything). */
  index: number;
  text: string;
}

/** How the prompt asks to be answered. */
export type AnswerLayout =
  /** A JSON array of `{ [indexField]: n, [valueField]: value }`. */
  | { kind: 'json' }
  /** `<item index="n"><value>…</value></item>` elements. */
  | { kind: 'xml' }
  /** One `n<delimiter>value` line per record. */
  | { kind: 'delimited'; delimiter: string };

/** A batch prompt, understood. */
export interface BatchPrompt {
  records: PromptRecord[];
  indexField: string;
  valueField: string;
  /** False when the prompt never named its fields and the defaults were taken. */
  fieldsStated: boolean;
  layout: AnswerLayout;
}

/** The field names answers use when the prompt names none (mlpredict's defaults). */
export const DEFAULT_INDEX_FIELD = 'index';
export const DEFAULT_VALUE_FIELD = 'answer';

/** A chat message as either the OpenAI API or mlpredict's `Model` carries it. */
export interface MessageLike {
  role: string;
  content?: unknown;
}

/**
 * The text of the last user message (the part a batch prompt lives in); text
 * parts of a multi-part message are joined.
 *
 * @example
 * userMessageOf([{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Input 1: "hi"' }]); // → 'Input 1: "hi"'
 */
export function userMessageOf(messages: readonly MessageLike[]): string {
  const user = [...messages].reverse().find((m) => m.role === 'user');
  return user === undefined ? '' : contentText(user.content);
}

/**
 * Every message's text, joined by line breaks, for token estimates.
 *
 * @example
 * allMessageText([{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'hi' }]); // → 'Be brief.\nhi'
 */
export function allMessageText(messages: readonly MessageLike[]): string {
  return messages.map((m) => contentText(m.content)).join('\n');
}

function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((part) => (part && typeof part === 'object' && typeof (part as { text?: unknown }).text === 'string' ? (part as { text: string }).text : ''))
      .join('');
  }
  return '';
}

/**
 * Parses a batch prompt, or returns undefined when it holds no indexed records (a
 * plain, one-record request).
 *
 * Records are `Input <n>: <text>` (the text a JSON string literal, or else the rest
 * of the line; several may share a line), `<item index="n">…</item>` elements, or a
 * JSON array of `{ index, text }` objects (the `{{recordsJson}}` view).
 *
 * @example
 * readBatchPrompt('Classify.\nInput 1: "Great phone"\nInput 2: "Broke in a day"\nReturn [{"index": n, "sentiment": "..."}]');
 * // → { records: [{ index: 1, text: 'Great phone' }, { index: 2, text: 'Broke in a day' }],
 * //     indexField: 'index', valueField: 'sentiment', fieldsStated: true, layout: { kind: 'json' } }
 */
export function readBatchPrompt(prompt: string): BatchPrompt | undefined {
  const { records: inputLines, outside } = readInputLines(prompt);
  if (inputLines.length > 0) {
    // Field names come from the instructions, never from a record's own text.
    const json = jsonFields(outside);
    if (json) return { records: inputLines, ...json, fieldsStated: true, layout: { kind: 'json' } };
    const delimited = delimitedFields(outside);
    if (delimited) {
      return {
        records: inputLines,
        indexField: DEFAULT_INDEX_FIELD,
        valueField: delimited.valueField,
        fieldsStated: true,
        layout: { kind: 'delimited', delimiter: delimited.delimiter },
      };
    }
    return { records: inputLines, ...defaultFields(), fieldsStated: false, layout: { kind: 'json' } };
  }

  const xmlItems = readXmlItems(prompt);
  if (xmlItems.length > 0) {
    const fields = xmlFields(prompt);
    return { records: xmlItems, ...(fields ?? defaultFields()), fieldsStated: fields !== undefined, layout: { kind: 'xml' } };
  }

  const recordsJson = readRecordsJson(prompt);
  if (recordsJson) {
    const fields = jsonFields(prompt.slice(0, recordsJson.start) + prompt.slice(recordsJson.end));
    return { records: recordsJson.records, ...(fields ?? defaultFields()), fieldsStated: fields !== undefined, layout: { kind: 'json' } };
  }
  return undefined;
}

function defaultFields() {
  return { indexField: DEFAULT_INDEX_FIELD, valueField: DEFAULT_VALUE_FIELD };
}

// `Input 12:` at a line start or after the previous record on the same line.
const INPUT_LABEL = /(^|[ \t,;])Input (\d+):[ \t]*/gm;

/**
 * Scans record by record rather than matching every `Input n:` in the text, so
 * `Input 2:` written inside a record's own (quoted) text is not taken as a record.
 */
function readInputLines(prompt: string): { records: PromptRecord[]; outside: string } {
  const records: PromptRecord[] = [];
  let outside = '';
  let outsideFrom = 0;
  INPUT_LABEL.lastIndex = 0;
  for (let match = INPUT_LABEL.exec(prompt); match !== null; match = INPUT_LABEL.exec(prompt)) {
    const start = match.index + match[0].length;
    outside += prompt.slice(outsideFrom, match.index);
    const quoted = prompt[start] === '"' ? readJsonString(prompt, start) : undefined;
    if (quoted) {
      records.push({ index: Number(match[2]), text: quoted.text });
      INPUT_LABEL.lastIndex = outsideFrom = quoted.end;
      continue;
    }
    const lineEnd = endOfLine(prompt, start);
    // An unquoted record ends at the line's end, or where the next `Input n:` starts on it.
    const rest = prompt.slice(start, lineEnd);
    const next = /[ \t]Input \d+:/.exec(rest);
    const text = next ? rest.slice(0, next.index) : rest;
    records.push({ index: Number(match[2]), text: text.trim() });
    INPUT_LABEL.lastIndex = outsideFrom = next ? start + next.index : lineEnd;
  }
  return { records, outside: outside + prompt.slice(outsideFrom) };
}

function endOfLine(text: string, from: number): number {
  const at = text.indexOf('\n', from);
  return at === -1 ? text.length : at;
}

/** A JSON string literal starting at `start` (a `"`), or undefined if it doesn't close on that line. */
export function readJsonString(text: string, start: number): { text: string; end: number } | undefined {
  for (let i = start + 1; i < text.length; i++) {
    const c = text[i];
    if (c === '\\') i++;
    else if (c === '\n') return undefined;
    else if (c === '"') {
      try {
        return { text: JSON.parse(text.slice(start, i + 1)) as string, end: i + 1 };
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/** The first `[{"<index>": …, "<value>": …` in the prompt: the answer example. */
function jsonFields(prompt: string): { indexField: string; valueField: string } | undefined {
  const example = /\[\s*\{\s*"([^"\n]+)"\s*:\s*[^,\n]*?,\s*"([^"\n]+)"\s*:/.exec(prompt);
  return example ? { indexField: example[1]!, valueField: example[2]! } : undefined;
}

/** mlpredict's delimited template: `each as: <input number>|<sentiment>`. */
function delimitedFields(prompt: string): { delimiter: string; valueField: string } | undefined {
  const example = /<input number>([^<\n]+?)<([^>\n]+)>/.exec(prompt);
  return example ? { delimiter: example[1]!, valueField: example[2]! } : undefined;
}

function readXmlItems(prompt: string): PromptRecord[] {
  return [...prompt.matchAll(/<item\s+index="(\d+)">([\s\S]*?)<\/item>/g)].map((m) => {
    const body = m[2]!;
    const quoted = body.startsWith('"') ? readJsonString(body, 0) : undefined;
    return { index: Number(m[1]), text: quoted && quoted.end === body.length ? quoted.text : unescapeXml(body) };
  });
}

/** mlpredict's xml template: `<item index="<input number>"><sentiment>answer</sentiment></item>`. */
function xmlFields(prompt: string): { indexField: string; valueField: string } | undefined {
  const example = /<item\s+([A-Za-z_][\w.-]*)="<input number>"\s*><([A-Za-z_][\w.-]*)>/.exec(prompt);
  return example ? { indexField: example[1]!, valueField: example[2]! } : undefined;
}

function unescapeXml(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
}

/**
 * A JSON array of `{ <index>: n, text: "…" }` somewhere in the prompt (the index
 * key is whichever other key holds an integer), and where it sits.
 */
function readRecordsJson(prompt: string): { records: PromptRecord[]; start: number; end: number } | undefined {
  for (let start = prompt.indexOf('[{'); start !== -1; start = prompt.indexOf('[{', start + 1)) {
    const end = balancedEnd(prompt, start);
    if (end === -1) continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(prompt.slice(start, end));
    } catch {
      continue;
    }
    if (!Array.isArray(parsed) || parsed.length === 0) continue;
    const records = parsed.map((item: unknown) => {
      if (item === null || typeof item !== 'object' || typeof (item as { text?: unknown }).text !== 'string') return undefined;
      const index = Object.entries(item).find(([key, value]) => key !== 'text' && Number.isInteger(value))?.[1] as number | undefined;
      return index === undefined ? undefined : { index, text: (item as { text: string }).text };
    });
    if (records.every((r) => r !== undefined)) return { records: records as PromptRecord[], start, end };
  }
  return undefined;
}

