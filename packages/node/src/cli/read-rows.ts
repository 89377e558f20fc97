/** The reader for an input format, and the CSV header once it has been read. */
import type { Readable } from 'node:stream';
import type { InputFormat } from './input-format.js';
import type { InputRow } from './input-row.js';
import { readCsv } from './read-csv.js';
import { readJsonl } from './read-jsonl.js';
import { readLines } from './read-lines.js';
import { UsageError } from './usage-error.js';

export interface RowReader {
  rows: AsyncGenerator<InputRow, void, undefined>;
  /** The CSV header's columns once the reader has passed it; `undefined` before, and for other formats. */
  columns(): readonly string[] | undefined;
}

/**
 * `textColumn` (the `--field`): a CSV header without that column is a usage error
 * as soon as the header is read, not a `bad_input` on every row.
 *
 * @example
 * const reader = readRows('csv', createReadStream('reviews.csv'), { textColumn: 'review' });
 * for await (const row of reader.rows) console.log(reader.columns(), row);
 */
export function readRows(format: InputFormat, input: Readable, options: { textColumn?: string } = {}): RowReader {
  let columns: readonly string[] | undefined;
  const onHeader = (header: readonly string[]) => {
    const { textColumn } = options;
    if (textColumn !== undefined && !header.includes(textColumn)) {
      throw new UsageError(`--field "${textColumn}" is not a column of the CSV header (${header.map((name) => `"${name}"`).join(', ')}); give one of those`);
    }
    columns = header;
  };
  const rows = format === 'csv' ? readCsv(input, onHeader) : format === 'lines' ? readLines(input) : readJsonl(input);
  return { rows, columns: () => columns };
}
