/**
 * Deterministic product reviews, so every library sees the same records and a run
 * can be repeated exactly. Positive, negative and neutral in turn; the right label
 * for each is whatever the simulator's `sentimentOf` says, not what we meant.
 */
const PRODUCTS = ['phone', 'kettle', 'headset', 'backpack', 'lamp', 'blender', 'keyboard', 'tent', 'drill', 'monitor', 'jacket'];
const GOOD = ['great', 'excellent', 'love it', 'fantastic', 'works perfectly', 'really happy with it', 'best purchase this year'];
const BAD = ['terrible', 'broke after a week', 'awful', 'very disappointed', 'waste of money', 'stopped working', 'would not buy again'];
const FLAT = ['arrived on Tuesday', 'it is blue', 'came in a box', 'has two buttons', 'weighs about a kilo', 'the manual is in English'];

const pick = (list, i) => list[(i * 7 + Math.floor(i / 3)) % list.length];

/** One short review (~50–70 characters), the i-th of a fixed sequence. */
export function review(i) {
  const product = PRODUCTS[i % PRODUCTS.length];
  const kind = i % 3;
  const body = kind === 0 ? pick(GOOD, i) : kind === 1 ? pick(BAD, i) : pick(FLAT, i);
  return `Review ${i} of the ${product}: ${body}.`;
}

export const reviews = (n) => Array.from({ length: n }, (_, i) => review(i));

const FILLER =
  ' Ordered it for the kitchen at home, delivery took three days and the box was intact; ' +
  'I have used it every morning since then and will update this review after a month or so of daily use. Thanks to the seller for the quick replies.';

/** A longer review (~250 bytes), for the streaming memory run: size is what fills memory. */
export function longReview(i) {
  return (review(i) + FILLER).slice(0, 250);
}
