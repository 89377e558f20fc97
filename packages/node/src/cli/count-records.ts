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

/** Lines with something other than blanks on them. */
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
 * CSV records, as `csv-parse` with `relax_quotes` reads them: a field that starts
 * with a quote runs to the matching closing quote (`""` inside it is a quote),
 * line breaks included; a quote anywhere else is text. Lines of blanks are no record.
 */
export function csvRecordCounter(): Counter {
  let records = 0;
  let hasText = false;
  let state: 'fieldStart' | 'unquoted' | 'quoted' | 'quoteInQuoted' = 'fieldStart';
  const endRecord = () => {
    if (hasText) records++;
    hasText = false;
    state = 'fieldStart';
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
        if (byte === NEWLINE) endRecord();
        else if (byte === COMMA) [hasText, state] = [true, 'fieldStart'];
        else if (byte === QUOTE && state === 'fieldStart') [hasText, state] = [true, 'quoted'];
        else if (byte === SPACE || byte === TAB) state = 'unquoted';
        else if (byte !== CARRIAGE_RETURN) [hasText, state] = [true, 'unquoted'];
      }
    },
    end: () => records + (hasText ? 1 : 0),
  };
}
