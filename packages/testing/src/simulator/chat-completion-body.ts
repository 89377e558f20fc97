/**
 * The body of a chat completion, as OpenAI writes it: what a Batch API output
 * line carries under `response.body`.
 */

/** What goes into one completion. */
export interface CompletionParts {
  id: string;
  model: string;
  text: string;
  finishReason: 'stop' | 'length';
  promptTokens: number;
  completionTokens: number;
}

/**
 * @example
 * chatCompletionBody({ id: 'chatcmpl-1', model: 'm', text: 'hi', finishReason: 'stop', promptTokens: 3, completionTokens: 1 }).usage;
 * // → { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 }
 */
export function chatCompletionBody(parts: CompletionParts) {
  return {
    id: parts.id,
    object: 'chat.completion' as const,
    created: Math.floor(Date.now() / 1000),
    model: parts.model,
    choices: [{ index: 0, message: { role: 'assistant' as const, content: parts.text, refusal: null }, logprobs: null, finish_reason: parts.finishReason }],
    usage: { prompt_tokens: parts.promptTokens, completion_tokens: parts.completionTokens, total_tokens: parts.promptTokens + parts.completionTokens },
  };
}
