/**
 * What a chat completion request body must hold, read the same way for a live
 * request and for a Batch API line.
 */
import type { ResponseFormatLike } from '../chat-answering.js';
import type { MessageLike } from '../prompt-reading.js';
import type { OpenAIErrorInfo } from './exchange.js';

/**
 * The 400 a chat body gets, or undefined when the simulator can answer it.
 *
 * @example
 * chatBodyError({ messages: [] })?.param;                                  // → 'messages'
 * chatBodyError({ messages: [{ role: 'user', content: 'hi' }] });         // → undefined
 */
export function chatBodyError(body: Record<string, unknown>): OpenAIErrorInfo | undefined {
  const messages = body.messages;
  if (!Array.isArray(messages) || messages.length === 0 || !messages.every(isMessage)) {
    return { message: "'messages' must be a non-empty array of { role, content }.", type: 'invalid_request_error', code: 'invalid_value', param: 'messages' };
  }
  if (body.stream === true) {
    return { message: 'The simulator does not stream; send stream: false.', type: 'invalid_request_error', code: 'unsupported_value', param: 'stream' };
  }
  return undefined;
}

/**
 * The completion budget a request asks for: `max_completion_tokens`, else
 * `max_tokens`, else 0.
 *
 * @example
 * requestedMaxTokens({ max_tokens: 200 }); // → 200
 */
export function requestedMaxTokens(body: Record<string, unknown>): number {
  return Number(body.max_completion_tokens ?? body.max_tokens ?? 0) || 0;
}

function isMessage(value: unknown): value is MessageLike {
  return value !== null && typeof value === 'object' && typeof (value as MessageLike).role === 'string';
}

/**
 * The request's `response_format`, when it is one.
 *
 * @example
 * responseFormatOf({ response_format: { type: 'json_object' } }); // → { type: 'json_object' }
 */
export function responseFormatOf(body: Record<string, unknown>): ResponseFormatLike | undefined {
  const value = body.response_format;
  return value !== null && typeof value === 'object' && typeof (value as ResponseFormatLike).type === 'string' ? (value as ResponseFormatLike) : undefined;
}
