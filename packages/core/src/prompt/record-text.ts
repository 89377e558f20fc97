/**
 * How a record becomes the text the model reads: `toText` if given, else the
 * `textField` of an object, else strings as they are and anything else as JSON.
 * A record whose JSON would lose it (`null`, `NaN`, a `Map`, a `Set`, …) is
 * refused as `bad_input` rather than sent as `"null"` or `"{}"`.
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
 * recordText(new Map([['a', 1]]), {})                              // throws: record is a Map, which JSON writes as {} …
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
    return typeof value === 'string' ? value : faithfulJson(value, `field "${options.textField}"`);
  }
  if (typeof input === 'string') return input;
  if (input === undefined) throw new TypeError('record is undefined');
  if (input === null) throw new TypeError('record is null: there is nothing to send (filter it out, or give toText)');
  return faithfulJson(input, 'record');
}

class LostInJson extends TypeError {}

/** JSON.stringify, refusing what it would silently turn into something else. */
function faithfulJson(value: unknown, what: string): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(value, (key, v: unknown) => {
      const lost = lostInJson(v);
      if (lost) throw new LostInJson(`${key === '' ? what : `${what} (at "${key}")`} is ${lost}; convert it first or give toText`);
      return v;
    });
  } catch (error) {
    if (error instanceof LostInJson) throw new TypeError(error.message);
    throw new TypeError(`${what} can't be written as JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (json === undefined) throw new TypeError(`${what} of type ${typeof value} has no text form`);
  return json;
}

/** How JSON would misrepresent `value`, or undefined when it writes it faithfully. */
function lostInJson(value: unknown): string | undefined {
  if (typeof value === 'number' && !Number.isFinite(value)) return `${value}, which JSON writes as null`;
  if (value instanceof Map) return 'a Map, which JSON writes as {} (use Object.fromEntries(map))';
  if (value instanceof Set) return 'a Set, which JSON writes as {} (use [...set])';
  if (value instanceof WeakMap || value instanceof WeakSet) return `a ${value.constructor.name}, which has no JSON form`;
  return undefined;
}
