/**
 * How output rows become text: JSON Lines (`{"input":…,"value":…}`, or with
 * `--merge` the input object with the value added), one JSON array, or CSV — the
 * input's columns, then the value and error columns.
 */
import { stringify } from 'csv-stringify/sync';
import type { OutputRow } from './predict-rows.js';
import { UsageError } from './usage-error.js';

export type OutputFormat = 'jsonl' | 'csv' | 'json';

export const OUTPUT_FORMATS: readonly OutputFormat[] = ['jsonl', 'csv', 'json'];

/** The column (or merged field) holding a record's error. */
export const ERROR_NAME = 'error';

export interface RowFormatter {
  /** What a new file starts with (CSV: the header; JSON: `[`). */
  readonly header: string;
  /** One row as text; `first` when it is the first row of the file. */
  row(row: OutputRow, first: boolean): string;
  /** What ends the file (JSON: `]`). */
  readonly footer: string;
}

export interface RowFormatterOptions {
  format: OutputFormat;
  /** The value's column or merged field: the value field's name, or `value`. */
  valueName: string;
  /** JSONL / JSON: write the input object with the value (or error) added. */
  merge: boolean;
  /** CSV: the input's columns (CSV input); without them, one `input` column. */
  columns?: readonly string[];
  /** Told once when a merged record already has the value or error field. */
  warn(message: string): void;
}

/**
 * @example
 * const csv = rowFormatter({ format: 'csv', valueName: 'sentiment', merge: false, columns: ['id', 'text'], warn: console.error });
 * csv.header                                                       // → 'id,text,sentiment,error\n'
 * csv.row({ input: { id: '1', text: 'Great' }, value: 'positive' }, true) // → '1,Great,positive,\n'
 */
export function rowFormatter(options: RowFormatterOptions): RowFormatter {
  if (options.format === 'csv') return csvFormatter(options);
  const shape = options.merge ? mergedShape(options) : plainShape;
  if (options.format === 'json') return { header: '[', row: (row, first) => `${first ? '\n' : ',\n'}${JSON.stringify(shape(row))}`, footer: '\n]\n' };
  return { header: '', row: (row) => `${JSON.stringify(shape(row))}\n`, footer: '' };
}

/** The row as written without `--merge`: `{input, value}` or `{input, error}`. */
function plainShape(row: OutputRow): object {
  if ('error' in row) {
    const { code, message, attempts } = row.error;
    return { input: row.input, error: { code, message, attempts } };
  }
  return { input: row.input, value: row.value };
}

function mergedShape(options: RowFormatterOptions): (row: OutputRow) => object {
  let warned = false;
  return (row) => {
    const input = row.input;
    if (input === null || typeof input !== 'object' || Array.isArray(input)) return plainShape(row);
    // Never overwrite a field of the input: such a record keeps the plain shape, and the user hears of it once.
    if (Object.hasOwn(input, options.valueName) || Object.hasOwn(input, ERROR_NAME)) {
      if (!warned) options.warn(`a record already has a "${Object.hasOwn(input, options.valueName) ? options.valueName : ERROR_NAME}" field; such records are written as {"input":…,"value":…} instead of merged (name the value with --value-field)`);
      warned = true;
      return plainShape(row);
    }
    const plain = plainShape(row) as { value?: unknown; error?: unknown };
    return 'error' in row ? { ...input, [ERROR_NAME]: plain.error } : { ...input, [options.valueName]: plain.value };
  };
}

function csvFormatter(options: RowFormatterOptions): RowFormatter {
  const columns = options.columns ?? ['input'];
  for (const name of [options.valueName, ERROR_NAME]) {
    if (columns.includes(name)) {
      throw new UsageError(`the input already has a column "${name}"; ${name === ERROR_NAME ? 'write JSON Lines (--output-format jsonl)' : 'name the value column with --value-field NAME'}`);
    }
  }
  const line = (cells: string[]) => stringify([cells]);
  return {
    header: line([...columns, options.valueName, ERROR_NAME]),
    row: (row) => line([...inputCells(row.input, columns, options.columns !== undefined), 'error' in row ? '' : cellText(row.value), 'error' in row ? `${row.error.code}: ${row.error.message}` : '']),
    footer: '',
  };
}

/** A CSV record's own cells; an unreadable line (a string) leaves them empty, its error says where it was. */
function inputCells(input: unknown, columns: readonly string[], fromCsv: boolean): string[] {
  if (!fromCsv) return [cellText(input)];
  if (input === null || typeof input !== 'object') return columns.map(() => '');
  return columns.map((column) => cellText((input as Record<string, unknown>)[column]));
}

/** Strings as they are; anything else as JSON; nothing as an empty cell. */
function cellText(value: unknown): string {
  if (value === undefined) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}
