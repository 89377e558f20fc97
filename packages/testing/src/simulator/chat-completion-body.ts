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
  /** Prompt tokens served from the prompt cache: reported as `prompt_tokens_details.cached_tokens` when given. */
  cachedPromptTokens?: number;
  /** The `contentParts` defect: content as text parts instead of a string. */
  contentParts?: boolean;
  /** The `garbageUsage` defect: token counts that are not numbers. */
  garbageUsage?: boolean;
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
    choices: [{ index: 0, message: { role: 'assistant' as const, content: parts.contentParts ? textParts(parts.text) : parts.text, refusal: null }, logprobs: null, finish_reason: parts.finishReason }],
    usage: parts.garbageUsage
      ? { prompt_tokens: 'lots', completion_tokens: 'a few', total_tokens: 'lots' }
      : {
          prompt_tokens: parts.promptTokens,
          completion_tokens: parts.completionTokens,
          total_tokens: parts.promptTokens + parts.completionTokens,
          ...(parts.cachedPromptTokens !== undefined && { prompt_tokens_details: { cached_tokens: parts.cachedPromptTokens } }),
        },
  };
}

/** The text as two `{ type: 'text', text }` parts, split in the middle, as some gateways send it. */
function textParts(text: string): Array<{ type: 'text'; text: string }> {
  const middle = Math.floor(text.length / 2);
  return [
    { type: 'text', text: text.slice(0, middle) },
    { type: 'text', text: text.slice(middle) },
  ];
}
