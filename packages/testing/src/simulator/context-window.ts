/**
 * The model's context window: OpenAI refuses a chat request whose prompt plus
 * `max_tokens` will not fit, with a 400 whose code and wording clients match on.
 */
import type { OpenAIErrorInfo } from './exchange.js';

/**
 * OpenAI's `context_length_exceeded` error when the request is over the window,
 * else undefined. `maxTokens` is the request's `max_tokens` (or
 * `max_completion_tokens`), 0 when it sets none.
 *
 * @example
 * contextLengthError(3162, 1000, 4097)?.message;
 * // → "This model's maximum context length is 4097 tokens. However, you requested 4162 tokens
 * //    (3162 in the messages, 1000 in the completion). Please reduce the length of the messages or completion."
 * contextLengthError(100, 0, 4097); // → undefined
 */
export function contextLengthError(promptTokens: number, maxTokens: number, contextTokens: number | undefined): OpenAIErrorInfo | undefined {
  if (contextTokens === undefined || promptTokens + maxTokens <= contextTokens) return undefined;
  // OpenAI words it two ways: with a completion budget, and without one.
  const message =
    maxTokens > 0
      ? `This model's maximum context length is ${contextTokens} tokens. However, you requested ${promptTokens + maxTokens} tokens (${promptTokens} in the messages, ${maxTokens} in the completion). Please reduce the length of the messages or completion.`
      : `This model's maximum context length is ${contextTokens} tokens. However, your messages resulted in ${promptTokens} tokens. Please reduce the length of the messages.`;
  return { message, type: 'invalid_request_error', param: 'messages', code: 'context_length_exceeded' };
}
