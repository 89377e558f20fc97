/**
 * An input entry's record: the JSON in its `record` field. An entry without
 * one, or with one that isn't JSON, gets an unreadable record naming the entry
 * and the problem (the runner settles it as `bad_input`), never a crash and
 * never a guess.
 */
import type { PresentEntry } from './stream-entries.js';
import { unreadableRecord } from './unreadable-record.js';

/** The field of an input entry that holds the record as JSON. */
export const RECORD_FIELD = 'record';

/**
 * @example
 * decodeEntry({ id: '1-0', fields: { record: '{"text":"great"}' } }) // → { text: 'great' }
 * decodeEntry({ id: '2-0', fields: { text: 'great' } })              // → an unreadable record: 'entry 2-0 has no "record" field …'
 */
export function decodeEntry(entry: PresentEntry): unknown {
  const raw = entry.fields[RECORD_FIELD];
  if (raw === undefined) {
    const present = Object.keys(entry.fields);
    return unreadableRecord(
      `entry ${entry.id} has no "${RECORD_FIELD}" field (it has ${present.length > 0 ? present.map((f) => `"${f}"`).join(', ') : 'none'}); put the record as JSON in "${RECORD_FIELD}"`,
    );
  }
  try {
    return JSON.parse(raw) as unknown;
  } catch (error) {
    const message = (error as { message?: unknown }).message;
    return unreadableRecord(`entry ${entry.id}: field "${RECORD_FIELD}" is not JSON (${typeof message === 'string' ? message : String(error)})`);
  }
}
