/**
 * `--field a.b`: a record's text from a nested field. A record whose own key is
 * literally `a.b` (a CSV column, say) uses that key; otherwise the path is walked.
 */

/**
 * A `toText` for the core that reads `path`, or throws a message fit for a
 * `bad_input` row when the record has nothing there.
 *
 * @example
 * fieldText('review.body')({ review: { body: 'Great' } }) // → 'Great'
 * fieldText('review.body')({ 'review.body': 'Great' })    // → 'Great'
 * fieldText('review.body')({ review: {} })                // throws: record has no "review.body" field (--field)
 */
export function fieldText(path: string): (record: unknown) => string {
  const steps = path.split('.');
  return (record) => {
    const value = isObject(record) && Object.hasOwn(record, path) ? record[path] : walk(record, steps);
    if (value === undefined || value === null) throw new TypeError(`record has no "${path}" field (--field)`);
    return typeof value === 'string' ? value : JSON.stringify(value);
  };
}

function walk(value: unknown, steps: readonly string[]): unknown {
  let at = value;
  for (const step of steps) {
    if (!isObject(at) || !Object.hasOwn(at, step)) return undefined;
    at = at[step];
  }
  return at;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object';
}
