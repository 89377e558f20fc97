/**
 * The openai SDK's errors → {@link ModelCallError}, keeping status, headers and
 * request id, with the real cause of a connection failure named.
 */
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import { ModelCallError } from '../model/errors.js';
import { retryAfterMs } from '../model/retry-after.js';

const CONTEXT_OVERFLOW = /context[_ ]length|maximum context|too many tokens|prompt is too long|reduce the length/i;

/**
 * @example
 * try { await client.chat.completions.create(body); } catch (error) { throw fromOpenAIError(error); }
 */
export function fromOpenAIError(error: unknown): unknown {
  if (error instanceof APIUserAbortError) return new ModelCallError('the request was aborted', { kind: 'aborted', cause: error });
  if (error instanceof APIConnectionTimeoutError) return new ModelCallError(error.message, { kind: 'timeout', cause: error });
  if (error instanceof APIConnectionError) return new ModelCallError(`connection failed: ${connectionCause(error)}`, { kind: 'network', cause: error });
  if (!(error instanceof APIError)) return error;
  const headers: Record<string, string> = {};
  error.headers?.forEach((value: string, key: string) => (headers[key] = value));
  const status = error.status;
  const init = { status, headers, requestId: error.requestID ?? undefined, cause: error };
  if (status === 429) return new ModelCallError(error.message, { ...init, kind: 'rate_limited', retryAfterMs: retryAfterMs(headers) });
  if ((status === 400 || status === 413) && (error.code === 'context_length_exceeded' || CONTEXT_OVERFLOW.test(error.message))) {
    return new ModelCallError(error.message, { ...init, kind: 'context_length' });
  }
  return new ModelCallError(error.message, { ...init, kind: 'http', retryAfterMs: retryAfterMs(headers) });
}

/**
 * What really failed under the SDK's "Connection error.": the innermost cause's
 * code and address (`connect ECONNREFUSED 127.0.0.1:9`, `getaddrinfo ENOTFOUND
 * api.example`), so a wrong URL is named, not hidden.
 */
function connectionCause(error: Error): string {
  // Duck-typed: the causes come from Node's own fetch, whose Error may be another realm's.
  const isError = (value: unknown): value is Error & NodeJS.ErrnoException & { address?: string; port?: number; hostname?: string } =>
    typeof value === 'object' && value !== null && typeof (value as Error).message === 'string';
  let cause: unknown = error;
  for (let depth = 0; depth < 8 && isError(cause) && cause.cause !== undefined; depth++) cause = cause.cause;
  if (cause === error || !isError(cause)) return error.message;
  const { code, address, port, hostname } = cause;
  const where = address !== undefined ? `${address}${port !== undefined ? `:${port}` : ''}` : hostname;
  if (cause.message && (where === undefined || cause.message.includes(where))) return cause.message;
  return [code, where].filter(Boolean).join(' ') || cause.message || error.message;
}
