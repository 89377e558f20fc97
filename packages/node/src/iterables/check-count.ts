/** Validates a count option of the helpers, with a message naming it. */
export function checkCount(caller: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new TypeError(`${caller}: option "${name}": expected an integer >= 1, got ${JSON.stringify(value) ?? String(value)}`);
  }
  return value;
}
