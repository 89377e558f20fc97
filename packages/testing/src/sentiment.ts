/**
 * The simulator's default "model": a deterministic keyword rule, so a test can
 * compute the answer it expects for any text without calling anything.
 *
 * The rule: count lexicon words, flipping a word's polarity when one of the three
 * words before it in the same clause is a negator ("not good" counts negative,
 * "no problems" positive). Emoji count too, never flipped. More positive hits →
 * 'positive', more negative hits → 'negative', a tie (including none) → 'neutral'.
 * The words 'positive', 'negative' and 'neutral' themselves are not in the
 * lexicon, so an instruction that names the labels doesn't sway the answer.
 */

export type Sentiment = 'positive' | 'negative' | 'neutral';

const POSITIVE_WORDS = new Set([
  'good', 'great', 'excellent', 'amazing', 'awesome', 'fantastic', 'wonderful', 'love', 'loved', 'loves', 'lovely',
  'perfect', 'perfectly', 'best', 'happy', 'pleased', 'impressed', 'impressive', 'recommend', 'recommended',
  'superb', 'brilliant', 'nice', 'solid', 'reliable', 'comfortable', 'sturdy', 'beautiful', 'gorgeous', 'easy',
  'smooth', 'flawless', 'flawlessly', 'outstanding', 'delighted', 'enjoy', 'enjoyed', 'enjoying', 'favorite',
  'favourite', 'worth', 'glad', 'satisfied', 'bargain', 'terrific', 'crisp', 'charm', 'gem', 'incredible',
  'exceeded', 'stellar', 'thrilled', 'useful', 'helpful', 'fabulous', 'sleek', 'durable',
]);

const NEGATIVE_WORDS = new Set([
  'bad', 'terrible', 'awful', 'horrible', 'poor', 'poorly', 'worst', 'worse', 'broke', 'broken', 'breaks',
  'cheaply', 'flimsy', 'useless', 'disappointed', 'disappointing', 'disappointment', 'waste', 'wasted', 'refund',
  'returned', 'returning', 'defective', 'faulty', 'junk', 'garbage', 'hate', 'hated', 'hates', 'annoying',
  'annoyed', 'frustrating', 'frustrated', 'slow', 'unreliable', 'uncomfortable', 'leaks', 'leaked', 'leaking',
  'cracked', 'died', 'dead', 'stopped', 'mediocre', 'overpriced', 'noisy', 'problem', 'problems', 'issue',
  'issues', 'complaint', 'complaints', 'regret', 'avoid', 'scam', 'fails', 'failed', 'failure', 'sucks',
  'unhappy', 'angry', 'misleading', 'wobbly', 'rattles', 'flaky', 'lousy', 'mess',
]);

const NEGATORS = new Set([
  'not', 'no', 'never', "isn't", "wasn't", "aren't", "weren't", "don't", "doesn't", "didn't", "won't", "wouldn't",
  "can't", 'cannot', "couldn't", "shouldn't", 'hardly', 'nothing', 'without', 'nor', 'neither', 'zero',
]);

const POSITIVE_EMOJI = ['😍', '👍', '❤️', '😊', '🙂', '🎉', '⭐', '💯', '🥰', '😀'];
const NEGATIVE_EMOJI = ['😡', '👎', '😞', '😠', '🤬', '💩', '😤', '🙁', '😢'];

/** How far back (in words, same clause) a negator reaches. */
const NEGATION_REACH = 3;

/**
 * Labels a text by the keyword rule above.
 *
 * @example
 * sentimentOf('Great phone, battery lasts all day'); // → 'positive'
 * sentimentOf('Not good. It broke after a week.');   // → 'negative'
 * sentimentOf('Arrived on Tuesday in a brown box.'); // → 'neutral'
 */
export function sentimentOf(text: string): Sentiment {
  let score = 0;
  for (const emoji of POSITIVE_EMOJI) score += occurrences(text, emoji);
  for (const emoji of NEGATIVE_EMOJI) score -= occurrences(text, emoji);

  const normalized = text.toLowerCase().replace(/[\u2018\u2019`]/g, "'");
  // Clauses end at punctuation and at "but": "not cheap, but good" keeps "good" positive.
  for (const clause of normalized.split(/[.!?;:,()\[\]{}"\n]+|\bbut\b/)) {
    const words = clause.split(/[^a-z0-9']+/).filter(Boolean);
    words.forEach((word, i) => {
      const polarity = POSITIVE_WORDS.has(word) ? 1 : NEGATIVE_WORDS.has(word) ? -1 : 0;
      if (polarity === 0) return;
      const negated = words.slice(Math.max(0, i - NEGATION_REACH), i).some((w) => NEGATORS.has(w));
      score += negated ? -polarity : polarity;
    });
  }
  return score > 0 ? 'positive' : score < 0 ? 'negative' : 'neutral';
}

function occurrences(text: string, needle: string): number {
  let count = 0;
  for (let at = text.indexOf(needle); at !== -1; at = text.indexOf(needle, at + needle.length)) count++;
  return count;
}
