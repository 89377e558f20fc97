/**
 * How many records a file holds, for the progress bar's total: its non-blank
 * lines (less the header for CSV), counted by streaming bytes, so a file of any
 * size costs one pass and no memory. An estimate for CSV with multi-line fields.
 */
import { createReadStream } from 'node:fs';
import type { InputFormat } from './input-format.js';

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

/**
 * @example
 * await countRecords('reviews.jsonl', 'jsonl') // → 3000
 */
export async function countRecords(path: string, format: InputFormat): Promise<number> {
  let lines = 0;
  let lineHasText = false;
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    for (const byte of chunk) {
      if (byte === NEWLINE) {
        if (lineHasText) lines++;
        lineHasText = false;
      } else if (byte !== CARRIAGE_RETURN && byte !== 0x20 && byte !== 0x09) {
        lineHasText = true;
      }
    }
  }
  if (lineHasText) lines++;
  return format === 'csv' ? Math.max(0, lines - 1) : lines;
}
