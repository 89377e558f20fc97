/**
 * A successful HTTP response → the chat answer in it, or a `ModelCallError` that
 * says what the server sent instead. Servers in front of models (gateways,
 * proxies, self-hosted stacks) answer 200 with shapes the OpenAI API never sends:
 * an error object and no choices, content as an array of parts, a JSON body
 * labelled `text/html`, an empty body. The text parts are read; everything else
 * becomes an error that names it, with the status, retried like a 5xx — never a
 * `Cannot read properties of undefined`, never a crashed run.
 */
import type { CompletionResponse } from '../model/model.js';
import { ModelCallError } from '../model/errors.js';
import { openAIUsage } from '../model/token-usage.js';
import { rateLimitHeadersOf } from '../resilience/rate-limit-headers.js';

/**
 * @example
 * const response = await client.chat.completions.create(body).asResponse();
 * const { text, usage } = await readCompletion(response, signal);
 */
export async function readCompletion(response: Response, signal?: AbortSignal): Promise<CompletionResponse> {
  let raw: string;
  try {
    raw = await response.text();
  } catch (error) {
    if (signal?.aborted) throw new ModelCallError('the request was aborted', { kind: 'aborted', cause: error });
    throw new ModelCallError(`the connection broke while the answer was read: ${error instanceof Error ? error.message : String(error)}`, { kind: 'network', cause: error });
  }
  return completionOf(raw, response);
}

/**
 * The answer in a response body already read.
 *
 * @example
 * completionOf('{"choices":[{"message":{"content":[{"type":"text","text":"hi"}]}}]}', response).text // → 'hi'
 */
export function completionOf(raw: string, response: Pick<Response, 'status' | 'headers'>): CompletionResponse {
  const fail = (message: string) => malformed(message, response);
  const contentType = response.headers.get('content-type') ?? '';
  if (raw.trim() === '') throw fail(`the server sent an empty body${contentType ? ` (content-type ${contentType})` : ''} instead of an answer`);
  const mediaType = contentType.split(';')[0]!.trim().toLowerCase();
  const body = parseJson(raw);
  // The SDK's rule for what is JSON; a JSON body under another label is likely a proxy's page, not the model's answer.
  if (!(mediaType.includes('application/json') || mediaType.endsWith('+json'))) {
    const what = body.ok ? 'a JSON body labelled' : 'a body of content-type';
    throw fail(`the server sent ${what} "${contentType || 'none'}", not an application/json answer: ${preview(raw)}`);
  }
  if (!body.ok) throw fail(`the server's answer is not valid JSON: ${preview(raw)}`);
  const completion = body.value;
  if (!isObject(completion)) throw fail(`the server's answer is not a chat completion: ${preview(raw)}`);
  const { choices, error } = completion;
  if (!Array.isArray(choices) || choices.length === 0) {
    if (isObject(error)) throw fail(`the server sent an error instead of an answer: ${describeError(error)}`);
    throw fail(`the server's answer has no choices: ${preview(raw)}`);
  }
  const choice = isObject(choices[0]) ? choices[0] : {};
  const message = isObject(choice.message) ? choice.message : {};
  const text = contentText(message.content);
  if (text === undefined) throw fail(`the server's answer has no readable text: message.content is ${describeContent(message.content)}`);
  const usage = openAIUsage(completion.usage);
  const headers = rateLimitHeadersOf(response.headers);
  return {
    text,
    ...(typeof choice.finish_reason === 'string' && { finishReason: choice.finish_reason }),
    ...(usage && { usage }),
    ...(headers && { headers }),
  };
}

/** A string as it is; text parts (`[{ type: 'text', text }]`) joined; no content (a refusal, a tool call) as ''. */
function contentText(content: unknown): string | undefined {
  if (typeof content === 'string') return content;
  if (content === null || content === undefined) return '';
  if (!Array.isArray(content)) return undefined;
  const texts = content.filter((part) => isObject(part) && typeof part.text === 'string' && (part.type === undefined || part.type === 'text' || part.type === 'output_text'));
  return texts.length === 0 ? undefined : texts.map((part) => (part as { text: string }).text).join('');
}

function malformed(message: string, response: Pick<Response, 'status' | 'headers'>): ModelCallError {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, key) => (headers[key] = value));
  return new ModelCallError(message, { kind: 'http', status: response.status, headers, requestId: headers['x-request-id'], retryable: true });
}

function parseJson(raw: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(raw) };
  } catch {
    return { ok: false };
  }
}

function describeError(error: Record<string, unknown>): string {
  const message = typeof error.message === 'string' ? error.message : JSON.stringify(error).slice(0, 200);
  const details = [error.type, error.code].filter((d) => typeof d === 'string' || typeof d === 'number');
  return `${JSON.stringify(message)}${details.length ? ` (${details.join(', ')})` : ''}`;
}

function describeContent(content: unknown): string {
  if (Array.isArray(content)) return `an array of ${content.length} parts with no text part: ${preview(JSON.stringify(content))}`;
  return `${typeof content === 'object' ? 'an object' : `a ${typeof content}`}: ${preview(JSON.stringify(content) ?? String(content))}`;
}

function preview(text: string): string {
  const flat = text.slice(0, 400).replace(/\s+/g, ' ').trim();
  return flat.length > 120 ? `${flat.slice(0, 120)}…` : flat;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
