/**
 * A running count of the characters the answer readers have scanned or handed to
 * `JSON.parse`. Reading must stay linear in the answer's length whatever a model
 * sends (a model stuck in a loop sends `[[[[…`), and tests pin that with this
 * count rather than with a stopwatch. Not exported from the package.
 */
export const readWork = { characters: 0 };

/**
 * How much work one read may spend, as a multiple of the answer's length (plus a
 * little for short answers). Past it, the JSON reader stops looking deeper into
 * text it could not parse: what is left is no answer a model meant.
 */
export function workLimit(length: number): number {
  return 8 * length + 4096;
}
