/**
 * The numbers in a context-overflow error. OpenAI words it "This model's maximum
 * context length is 3000 tokens. However, you requested 3100 tokens (3000 in the
 * messages, 100 in the completion)…" or "…However, your messages resulted in
 * 3100 tokens…"; vLLM and LiteLLM copy it. A tuner that reads them knows the
 * window at once instead of searching for it.
 */

/** What the server said about the window and the prompt it refused; each part only when it said it. */
export interface ContextOverflow {
  /** The context window, in the server's tokens. */
  contextTokens?: number;
  /** The refused prompt's tokens, by the server's count. */
  promptTokens?: number;
  /** The completion budget it counted (`max_tokens`). */
  completionTokens?: number;
}

/**
 * @example
 * readContextOverflow("This model's maximum context length is 3000 tokens. However, your messages resulted in 3100 tokens.")
 * // → { contextTokens: 3000, promptTokens: 3100 }
 */
export function readContextOverflow(message: string): ContextOverflow {
  const window = /maximum context length is (\d+) tokens/i.exec(message);
  const split = /\((\d+) in the messages, (\d+) in the completion\)/i.exec(message);
  const messagesOnly = /messages resulted in (\d+) tokens/i.exec(message);
  return {
    ...(window && { contextTokens: Number(window[1]) }),
    ...(split ? { promptTokens: Number(split[1]), completionTokens: Number(split[2]) } : messagesOnly && { promptTokens: Number(messagesOnly[1]) }),
  };
}
