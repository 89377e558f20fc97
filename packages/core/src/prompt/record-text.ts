/**
 * How a record becomes the text the model reads: `toText` if given, else the
 * `textField` of an object, else strings as they are and anything else as JSON.
 */
export interface RecordTextOptions {
  textField?: string;
  toText?: (input: unknown) => string;
}

/**
 * Returns the record's text, or throws a message fit for a `bad_input` error.
 *
 * @example
 * recordText({ id: 1, review: 'Great' }, { textField: 'review' }) // → 'Great'
 * recordText({ id: 1 }, {})                                        // → '{"id":1}'
 */
export function recordText(input: unknown, options: RecordTextOptions): string {
  if (options.toText) {
    const text = options.toText(input);
    if (typeof text !== 'string') throw new TypeError(`toText returned ${typeof text}, expected a string`);
    return text;
  }
  if (options.textField !== undefined) {
    const value = input !== null && typeof input === 'object' ? (input as Record<string, unknown>)[options.textField] : undefined;
    if (value === undefined || value === null) throw new TypeError(`record has no "${options.textField}" field (textField)`);
    return typeof value === 'string' ? value : JSON.stringify(value);
  }
  if (typeof input === 'string') return input;
  if (input === undefined) throw new TypeError('record is undefined');
  const json = JSON.stringify(input);
  if (json === undefined) throw new TypeError(`record of type ${typeof input} has no text form`);
  return json;
}
