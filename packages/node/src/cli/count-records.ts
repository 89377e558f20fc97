/**
 * How many records a file holds, for the progress total and the "N of M rows"
 * line: its non-blank lines for JSON Lines and plain text; for CSV its records
 * less the header, with quoted fields followed so that a line break inside
 * quotes does not count. One streaming pass over the bytes, no memory.
 */
import { createReadStream } from 'node:fs';
import type { InputFormat } from './input-format.js';

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const SPACE = 0x20;
const TAB = 0x09;
const QUOTE = 0x22;
const COMMA = 0x2c;

/**
 * @example
 * await countRecords('reviews.jsonl', 'jsonl') // → 3000
 * await countRecords('reviews.csv', 'csv')     // → 3000 (header and line breaks inside quotes not counted)
 */
export async function countRecords(path: string, format: InputFormat): Promise<number> {
  const counter = format === 'csv' ? csvRecordCounter() : lineCounter();
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) counter.add(chunk);
  const records = counter.end();
  return format === 'csv' ? Math.max(0, records - 1) : records;
}

interface Counter {
  add(chunk: Uint8Array): void;
  end(): number;
}

/**
 * Lines with something other than blanks on them.
 *
 * @example
 * const lines = lineCounter(); lines.add(Buffer.from('a\n\n b')); lines.end() // → 2
 */
export function lineCounter(): Counter {
  let lines = 0;
  let hasText = false;
  return {
    add(chunk) {
      for (const byte of chunk) {
        if (byte === NEWLINE) {
          if (hasText) lines++;
          hasText = false;
        } else if (byte !== CARRIAGE_RETURN && byte !== SPACE && byte !== TAB) {
          hasText = true;
        }
      }
    },
    end: () => lines + (hasText ? 1 : 0),
  };
}

/**
 * CSV records, as `csv-parse` (with `relax_quotes`) reads them: the first line
 * break outside quotes (`\r\n`, `\n` or `\r`) is the record delimiter and the
 * others are text; a field that starts with a quote runs to the matching closing
 * quote (`""` inside it is a quote), line breaks included; a quote anywhere else
 * is text. An empty line is no record; a line of blanks is one (an unreadable one).
 *
 * @example
 * const csv = csvRecordCounter(); csv.add(Buffer.from('id,text\r\n1,"two\r\nlines"\r\n')); csv.end() // → 2 (header included)
 */
export function csvRecordCounter(): Counter {
  let records = 0;
  let hasContent = false;
  let delimiter: 'lf' | 'crlf' | 'cr' | undefined;
  /** A `\r` seen where it may start a `\r\n`. */
  let pendingCarriageReturn = false;
  let state: 'fieldStart' | 'unquoted' | 'quoted' | 'quoteInQuoted' = 'fieldStart';
  const endRecord = () => {
    if (hasContent) records++;
    hasContent = false;
    state = 'fieldStart';
  };
  const text = (next: typeof state = 'unquoted') => {
    hasContent = true;
    state = next;
  };
  /** Settles a pending `\r` that is not followed by `\n`. */
  const loneCarriageReturn = () => {
    pendingCarriageReturn = false;
    if (delimiter === undefined) delimiter = 'cr';
    if (delimiter === 'cr') endRecord();
    else text();
  };
  return {
    add(chunk) {
      for (const byte of chunk) {
        if (state === 'quoted') {
          if (byte === QUOTE) state = 'quoteInQuoted';
          continue;
        }
        if (state === 'quoteInQuoted' && byte === QUOTE) {
          state = 'quoted';
          continue;
        }
        if (pendingCarriageReturn) {
          if (byte === NEWLINE) {
            pendingCarriageReturn = false;
            delimiter ??= 'crlf';
            // In a file split by \n, the \r before one is text of its record.
            if (delimiter === 'lf') hasContent = true;
            endRecord();
            continue;
          }
          loneCarriageReturn();
        }
        if (byte === CARRIAGE_RETURN) {
          if (delimiter === 'cr') endRecord();
          else if (delimiter === 'lf') text();
          else pendingCarriageReturn = true;
        } else if (byte === NEWLINE) {
          delimiter ??= 'lf';
          if (delimiter === 'lf') endRecord();
          else text();
        } else if (byte === COMMA) text('fieldStart');
        else if (byte === QUOTE && state === 'fieldStart') text('quoted');
        else text();
      }
    },
    end: () => {
      if (pendingCarriageReturn) loneCarriageReturn();
      return records + (hasContent ? 1 : 0);
    },
  };
}
