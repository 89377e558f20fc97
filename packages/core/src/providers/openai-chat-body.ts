/**
 * One chat request as the OpenAI API body: what `complete` sends and what a
 * Batch API input line carries, built in one place.
 */
import type { CompletionRequest } from '../model/model.js';

/**
 * @example
 * chatBody('gpt-4o-mini', { messages, maxTokens: 200, responseShape: { type: 'json_object' } })
 * // → { model: 'gpt-4o-mini', messages, max_tokens: 200, response_format: { type: 'json_object' } }
 */
export function chatBody(model: string, request: Omit<CompletionRequest, 'signal' | 'headers'>) {
  return {
    model,
    messages: request.messages,
    ...(request.maxTokens !== undefined && { max_tokens: request.maxTokens }),
    ...(request.temperature !== undefined && { temperature: request.temperature }),
    ...(request.responseShape && request.responseShape.type !== 'text' && { response_format: responseFormat(request.responseShape) }),
  };
}

function responseFormat(shape: Exclude<CompletionRequest['responseShape'], undefined | { type: 'text' }>) {
  if (shape.type === 'json_object') return { type: 'json_object' as const };
  return { type: 'json_schema' as const, json_schema: { name: shape.name, schema: shape.schema, strict: shape.strict ?? true } };
}
