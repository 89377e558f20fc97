/**
 * Typed failures of a model call. The retry owner reads `kind`, `status` and
 * `retryAfterMs`; users read `message`, `status`, `headers` and `requestId`.
 */

/** Why a model call failed, coarse enough to decide on a retry. */
export type ModelErrorKind =
  /** The server answered with an HTTP error status (see `status`). */
  | 'http'
  /** 429: the provider's rate limit. */
  | 'rate_limited'
  /** The attempt ran past its timeout. */
  | 'timeout'
  /** The connection failed or was reset before an answer. */
  | 'network'
  /** The prompt did not fit the context window. */
  | 'context_length'
  /** The caller aborted (unsubscribe, the user's AbortSignal). */
  | 'aborted'
  /** Not sent: the model's connection circuit is open (the endpoint kept refusing connections). */
  | 'circuit_open'
  /** Not sent: the run's `budget` is spent. */
  | 'budget';

export interface ModelCallErrorInit {
  kind: ModelErrorKind;
  status?: number;
  headers?: Record<string, string>;
  requestId?: string;
  retryAfterMs?: number;
  /** Overrides {@link isRetryable}'s rule for this error (a malformed HTTP 200 is retried like a 5xx). */
  retryable?: boolean;
  cause?: unknown;
}

/**
 * The one error type a {@link Model} throws.
 *
 * @example
 * throw new ModelCallError('rate limited', { kind: 'rate_limited', status: 429, retryAfterMs: 1000 });
 */
const MARKER = Symbol.for('mlpredict.ModelCallError');

export class ModelCallError extends Error {
  override readonly name = 'ModelCallError';
  readonly [MARKER] = true;
  readonly kind: ModelErrorKind;
  readonly status?: number;
  readonly headers: Record<string, string>;
  readonly requestId?: string;
  /** The server's hint (retry-after-ms, retry-after, x-ratelimit-reset-*), when given. */
  readonly retryAfterMs?: number;
  /** Set when the thrower knows better than the kind and status whether a retry may help. */
  readonly retryable?: boolean;

  constructor(message: string, init: ModelCallErrorInit) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.kind = init.kind;
    this.status = init.status;
    this.headers = init.headers ?? {};
    this.requestId = init.requestId;
    this.retryAfterMs = init.retryAfterMs;
    this.retryable = init.retryable;
  }

  /**
   * True for a `ModelCallError` from any copy of mlpredict (two installed
   * versions, a bundled one), where `instanceof` would say false.
   *
   * @example
   * if (ModelCallError.isInstance(error)) console.log(error.kind, error.status);
   */
  static isInstance(value: unknown): value is ModelCallError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[MARKER] === true;
  }
}

/**
 * True for an error that a later attempt may not repeat: 408, 409, 429, 5xx,
 * network, timeout, or `retryable` set. The server has the last word:
 * `x-should-retry: true|false` overrides the status, as openai-node does.
 */
export function isRetryable(error: unknown): boolean {
  if (!ModelCallError.isInstance(error)) return !isAbortError(error);
  if (error.kind === 'aborted') return false;
  const hint = error.headers['x-should-retry'];
  if (hint === 'true') return true;
  if (hint === 'false') return false;
  if (error.retryable !== undefined) return error.retryable;
  switch (error.kind) {
    case 'rate_limited':
    case 'timeout':
    case 'network':
      return true;
    case 'http': {
      const s = error.status ?? 0;
      return s === 408 || s === 409 || s === 429 || s >= 500;
    }
    default:
      return false;
  }
}

/** Per-request 4xx answers: the request (one record's content, its size) is at fault, not the run's setup. */
const PER_REQUEST_CODES = /content_filter|content_policy|safety|moderation|invalid_prompt/i;

/**
 * True for an error no later request will heal — a bad API key (401/403), an
 * unknown model or route (404), any other non-retryable 4xx that is not about
 * one request's content or size — so the run stops at once instead of sending
 * every batch to the same refusal.
 *
 * @example
 * isFatal(new ModelCallError('Incorrect API key', { kind: 'http', status: 401 })) // → true
 * isFatal(new ModelCallError('too long', { kind: 'context_length', status: 400 })) // → false
 */
export function isFatal(error: unknown): boolean {
  if (!ModelCallError.isInstance(error) || error.kind !== 'http' || isRetryable(error)) return false;
  const status = error.status ?? 0;
  if (status < 400 || status >= 500 || status === 413) return false;
  const code = (error.cause as { code?: unknown } | undefined)?.code;
  return !PER_REQUEST_CODES.test(`${typeof code === 'string' ? code : ''} ${error.message}`);
}

/** True for the errors fetch and AbortSignal raise when aborted. */
export function isAbortError(error: unknown): boolean {
  if (ModelCallError.isInstance(error)) return error.kind === 'aborted';
  return error instanceof Error && (error.name === 'AbortError' || error.name === 'APIUserAbortError');
}
