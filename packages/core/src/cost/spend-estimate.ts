/**
 * What a chat request is expected to spend before it is sent, for the budget:
 * its prompt by the run's token estimate, and its `max_tokens` when it sets one.
 */
import type { CompletionRequest } from '../model/model.js';
import { estimatePromptTokens } from '../batching/estimate-tokens.js';
import type { SpendEstimate } from './run-budget.js';

/**
 * @example
 * spendEstimate({ messages: [{ role: 'user', content: 'x'.repeat(400) }], maxTokens: 50 }, 3)
 * // → { promptTokens: 106, maxCompletionTokens: 50, records: 3 } (100 + 3 per message + 3 for the reply)
 */
export function spendEstimate(request: Pick<CompletionRequest, 'messages' | 'maxTokens'>, records: number): SpendEstimate {
  const promptTokens = estimatePromptTokens(request.messages);
  return request.maxTokens === undefined ? { promptTokens, records } : { promptTokens, maxCompletionTokens: request.maxTokens, records };
}
