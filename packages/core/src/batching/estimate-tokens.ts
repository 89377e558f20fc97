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

/**
 * What the chat format spends besides the messages' text: about 3 tokens a
 * message and 3 to prime the reply (OpenAI's cookbook, "How to count tokens").
 * Counted in the prompt estimate a quota is charged, so it is not lower than
 * what a server counts.
 */
export const TOKENS_PER_MESSAGE = 3;
export const TOKENS_PER_REPLY = 3;

/**
 * The estimated prompt tokens of a chat request.
 *
 * @example
 * estimatePromptTokens([{ content: 'Be brief.' }, { content: 'Input 1: "Great phone"' }]) // → 3 + 6 + 6 + 3 = 18
 */
export function estimatePromptTokens(messages: ReadonlyArray<{ content: string }>): number {
  return messages.reduce((sum, m) => sum + estimateTokens(m.content) + TOKENS_PER_MESSAGE, TOKENS_PER_REPLY);
}
