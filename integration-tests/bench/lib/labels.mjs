/**
 * How a per-record caller reads a plain-text answer: the first sentiment word in
 * it, whatever fences, quotes or prose surround it — roughly what people write
 * (`text.toLowerCase().includes('positive')`), and charitable to the peers.
 */
const LABEL = /\b(positive|negative|neutral)\b/i;

/** The label in a model's plain answer, or undefined when it has none. */
export function labelIn(text) {
  if (typeof text !== 'string') return undefined;
  const match = LABEL.exec(text);
  return match ? match[1].toLowerCase() : undefined;
}

/** The per-record prompt every peer sends: the same instruction, once per record. */
export const PER_RECORD_SYSTEM = 'You are a sentiment analyzer. Answer with one word: positive, negative or neutral.';
export const INSTRUCTION = 'Classify the sentiment of the product review as positive, negative or neutral.';
export const perRecordPrompt = (text) => `${INSTRUCTION}\n\nReview: ${text}`;

/** mlpredict's instruction: the same words, said once per batch. */
export const BATCH_INSTRUCTION = 'Classify the sentiment of each product review as positive, negative or neutral.';
