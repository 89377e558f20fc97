/**
 * A record that could not be decoded (a stream entry without a `record` field,
 * or one that isn't JSON). The source contract says a decode failure is the
 * source's to report as a `bad_input` record, and the message must still flow
 * through the runner, so it gets a result and an ack: nothing is dropped.
 *
 * The record is a Proxy that throws its reason on any use: the engine reads a
 * record's text (`JSON.stringify`, `textField`, or the user's `toText`), that
 * throws, and admission settles the record as `bad_input` with the reason as the
 * message. So it can never be sent to the model as `{}` or `undefined` (a
 * silent wrong value), whatever the options. A runner that wants to skip the
 * engine can ask `unreadableReason(record)` first.
 */

const reasons = new WeakMap<object, string>();

/**
 * A stand-in record whose every use throws `TypeError(reason)`.
 *
 * @example
 * const record = unreadableRecord('entry 1-0: field "record" is not JSON');
 * JSON.stringify(record); // throws TypeError: entry 1-0: field "record" is not JSON
 * unreadableReason(record); // → 'entry 1-0: field "record" is not JSON'
 */
export function unreadableRecord(reason: string): object {
  // The target is what util.inspect shows (it never runs the traps).
  const record = new Proxy(
    { unreadable: reason },
    {
      get(_target, property) {
        // Symbols (inspection, iteration, coercion) and `then` (so awaiting or
        // resolving with it doesn't throw) read as absent; everything else is a use.
        if (typeof property === 'symbol' || property === 'then') return undefined;
        throw new TypeError(reason);
      },
      has: () => false,
      ownKeys: () => [],
      getOwnPropertyDescriptor: () => undefined,
    },
  );
  reasons.set(record, reason);
  return record;
}

/**
 * Why a record is unreadable, or undefined for any other value.
 *
 * @example
 * unreadableReason({ text: 'fine' }) // → undefined
 */
export function unreadableReason(record: unknown): string | undefined {
  return typeof record === 'object' && record !== null ? reasons.get(record) : undefined;
}
