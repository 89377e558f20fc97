/**
 * CSV in (first row the header), one row per record, parsed by `csv-parse`. A
 * record that cannot be read (wrong number of fields, an unclosed quote) becomes a
 * `bad_input` row in its place and the run goes on.
 */
import type { Readable } from 'node:stream';
import { parse, type CsvError, type Info } from 'csv-parse';
import type { InputRow } from './input-row.js';

interface ParsedRecord {
  record: Record<string, string>;
  info: Info;
  raw: string;
}

/**
 * Reads CSV records as objects keyed by the header, with the line each starts on.
 * `onHeader` gets the header's columns as soon as it is read, before any record
 * (CSV output repeats them). A header that repeats a column fails the read: the
 * records would silently lose one of the two.
 *
 * @example
 * for await (const row of readCsv(createReadStream('reviews.csv'))) console.log(row);
 * // → { line: 2, record: { id: '1', review: 'Great phone' } }, …
 */
export async function* readCsv(input: Readable, onHeader?: (columns: readonly string[]) => void): AsyncGenerator<InputRow, void, undefined> {
  // csv-parse reports skipped records through a callback, ahead of the records it
  // has parsed but we have not read yet; hold them until their turn comes.
  const skipped: InputRow[] = [];
  const parser = parse({
    columns: (header: string[]) => {
      const repeated = header.find((name, i) => header.indexOf(name) !== i);
      if (repeated !== undefined) throw new Error(`the CSV header names the column "${repeated}" twice; rename one`);
      onHeader?.(header);
      return header;
    },
    bom: true,
    info: true,
    raw: true,
    skip_empty_lines: true,
    // A stray quote inside a field is taken as text rather than thrown away with its neighbours.
    relax_quotes: true,
    skip_records_with_error: true,
    on_skip: (error: CsvError | undefined, raw: string | undefined) => {
      const line = (error as (CsvError & { lines?: number }) | undefined)?.lines ?? 0;
      skipped.push({ line, raw: (raw ?? '').replace(/\r?\n$/, ''), problem: `line ${line}: ${error?.message ?? 'unreadable CSV record'}` });
    },
  });
  input.on('error', (error) => parser.destroy(error));
  const records = input.pipe(parser);
  try {
    for await (const parsed of records as AsyncIterable<ParsedRecord>) {
      const line = startLine(parsed);
      while (skipped.length > 0 && skipped[0]!.line < line) yield skipped.shift()!;
      yield { line, record: parsed.record };
    }
    yield* skipped.splice(0);
  } finally {
    parser.destroy();
    input.unpipe(parser);
  }
}

/** `info.lines` is the line a record ends on; count back over its own line breaks. */
function startLine({ info, raw }: ParsedRecord): number {
  const body = raw.replace(/^(\r?\n)+/, '').replace(/(\r?\n)+$/, '');
  return info.lines - (body.match(/\n/g)?.length ?? 0);
}
