/**
 * Reading `XREADGROUP` replies ourselves: the client's typed reply crashes on
 * the `[id, nil]` entries Redis returns for pending entries deleted from the
 * stream, which a consumer reading its own history must handle.
 */

/** One stream entry; `fields` is null when the entry was deleted from the stream while pending. */
export interface StreamEntry {
  id: string;
  fields: Record<string, string> | null;
}

/** An entry still in the stream. */
export type PresentEntry = StreamEntry & { fields: Record<string, string> };

/**
 * Whether the entry is still in the stream (its fields were returned).
 *
 * @example
 * entries.filter(isPresent) // drops `[id, nil]` entries
 */
export function isPresent(entry: StreamEntry): entry is PresentEntry {
  return entry.fields !== null;
}

/**
 * The entries of `stream` in an `XREADGROUP` / `XREAD` reply, in either RESP3
 * shape (a map of stream name to entries) or RESP2 shape (pairs). Null (a block
 * that timed out) reads as no entries. Any other shape throws a TypeError.
 *
 * @example
 * readStreamReply({ jobs: [['1-0', ['record', '{"a":1}']]] }, 'jobs')
 * // → [{ id: '1-0', fields: { record: '{"a":1}' } }]
 */
export function readStreamReply(reply: unknown, stream: string): StreamEntry[] {
  if (reply === null || reply === undefined) return [];
  let entries: unknown;
  if (Array.isArray(reply)) {
    const pair = reply.find((item) => Array.isArray(item) && text(item[0]) === stream) as unknown[] | undefined;
    entries = pair?.[1] ?? [];
  } else if (reply instanceof Map) {
    entries = [...reply.entries()].find(([name]) => text(name) === stream)?.[1] ?? [];
  } else if (typeof reply === 'object') {
    entries = Object.prototype.hasOwnProperty.call(reply, stream) ? (reply as Record<string, unknown>)[stream] : [];
  } else {
    throw new TypeError(`unexpected stream reply: ${typeof reply}`);
  }
  if (!Array.isArray(entries)) throw new TypeError(`unexpected entries for stream "${stream}": ${typeof entries}`);
  return entries.map(readEntry);
}

function readEntry(raw: unknown): StreamEntry {
  if (!Array.isArray(raw) || raw.length < 2) throw new TypeError('unexpected stream entry: expected [id, fields]');
  const id = text(raw[0]);
  if (id === undefined) throw new TypeError('unexpected stream entry id');
  const flat: unknown = raw[1];
  if (flat === null || flat === undefined) return { id, fields: null };
  if (!Array.isArray(flat) || flat.length % 2 !== 0) throw new TypeError(`unexpected fields of entry ${id}: expected [field, value, …]`);
  const fields: Record<string, string> = Object.create(null);
  for (let i = 0; i < flat.length; i += 2) {
    const name = text(flat[i]);
    const value = text(flat[i + 1]);
    if (name === undefined || value === undefined) throw new TypeError(`unexpected field in entry ${id}`);
    fields[name] = value;
  }
  return { id, fields };
}

function text(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  return undefined;
}
