/**
 * An input entry's record: the JSON in its `record` field. An entry without
 * one, or with one that isn't JSON, is reported as invalid with a reason naming
 * the entry and the problem (the runner gives it a `bad_input` result in its
 * place), never a crash and never a guess.
 */
import type { PresentEntry } from './stream-entries.js';

/** The field of an input entry that holds the record as JSON. */
export const RECORD_FIELD = 'record';

/**
 * A decoded entry. Valid: `record` is the parsed JSON. Invalid: `invalid` says
 * why, and `record` is what was read: the `record` field's raw text, or the
 * entry's fields when it has no such field.
 */
export type DecodedEntry =
  | { readonly record: unknown; readonly invalid?: undefined }
  | { readonly record: string | Readonly<Record<string, string>>; readonly invalid: string };

/**
 * @example
 * decodeEntry({ id: '1-0', fields: { record: '{"text":"great"}' } }) // → { record: { text: 'great' } }
 * decodeEntry({ id: '2-0', fields: { text: 'great' } })
 * // → { record: { text: 'great' }, invalid: 'entry 2-0 has no "record" field (it has "text"); put the record as JSON in "record"' }
 */
export function decodeEntry(entry: PresentEntry): DecodedEntry {
  const raw = entry.fields[RECORD_FIELD];
  if (raw === undefined) {
    const present = Object.keys(entry.fields);
    return {
      record: Object.freeze({ ...entry.fields }),
      invalid: `entry ${entry.id} has no "${RECORD_FIELD}" field (it has ${present.length > 0 ? present.map((f) => `"${f}"`).join(', ') : 'none'}); put the record as JSON in "${RECORD_FIELD}"`,
    };
  }
  try {
    return { record: JSON.parse(raw) as unknown };
  } catch (error) {
    const message = (error as { message?: unknown }).message;
    return { record: raw, invalid: `entry ${entry.id}: field "${RECORD_FIELD}" is not JSON (${typeof message === 'string' ? message : String(error)})` };
  }
}
