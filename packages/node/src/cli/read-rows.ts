/** The reader for an input format, and the CSV header once it has been read. */
import type { Readable } from 'node:stream';
import type { InputFormat } from './input-format.js';
import type { InputRow } from './input-row.js';
import { readCsv } from './read-csv.js';
import { readJsonl } from './read-jsonl.js';
import { readLines } from './read-lines.js';

export interface RowReader {
  rows: AsyncGenerator<InputRow, void, undefined>;
  /** The CSV header's columns once the reader has passed it; `undefined` before, and for other formats. */
  columns(): readonly string[] | undefined;
}

/**
 * @example
 * const reader = readRows('csv', createReadStream('reviews.csv'));
 * for await (const row of reader.rows) console.log(reader.columns(), row);
 */
export function readRows(format: InputFormat, input: Readable): RowReader {
  let columns: readonly string[] | undefined;
  const rows = format === 'csv' ? readCsv(input, (header) => (columns = header)) : format === 'lines' ? readLines(input) : readJsonl(input);
  return { rows, columns: () => columns };
}
