/**
 * A cheap token estimate (≈ 4 characters a token, the usual rule of thumb for
 * English with GPT tokenizers). Used to keep batches under `maxBatchTokens` and to
 * charge `tokensPerMinute`; it never needs to be exact, only not wildly low.
 *
 * @example
 * estimateTokens('Great phone, battery lasts all day') // → 9
 */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/** Tokens the default template spends around each record (`Input 12: "…"` and a newline). */
export const PER_RECORD_OVERHEAD_TOKENS = 6;
