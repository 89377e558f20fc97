/**
 * The simulator's token count: a quarter of the characters, rounded up. Crude, but
 * deterministic, so tests can predict usage and token rate limits exactly.
 *
 * @example
 * estimateTokens('Great phone'); // → 3
 */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}
