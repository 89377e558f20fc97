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

/**
 * More answers than this in one reply is a model stuck in a loop, not an answer
 * to one batch (a batch holds at most 10 000 records; twice that leaves room for
 * repeats). Readers stop there and read nothing, rather than build a megabyte of
 * answers no record can use.
 */
export const MAX_ANSWERS = 20_000;

/**
 * What a reader returns for a reply with more than {@link MAX_ANSWERS} answers.
 *
 * @example
 * if (answers.length > MAX_ANSWERS) return tooManyAnswers();
 */
export function tooManyAnswers(): { answers: []; partial: false; unusable: true; warnings: string[] } {
  return { answers: [], partial: false, unusable: true, warnings: [`more than ${MAX_ANSWERS} answers in one reply: not an answer to one batch (a model stuck in a loop?)`] };
}
