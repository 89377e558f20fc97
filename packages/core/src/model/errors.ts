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
  | 'aborted';

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
export class ModelCallError extends Error {
  override readonly name = 'ModelCallError';
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
}

/** True for an error that a later attempt may not repeat: 408, 409, 429, 5xx, network, timeout, or `retryable` set. */
export function isRetryable(error: unknown): boolean {
  if (!(error instanceof ModelCallError)) return !isAbortError(error);
  if (error.retryable !== undefined) return error.retryable && error.kind !== 'aborted';
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

/** True for the errors fetch and AbortSignal raise when aborted. */
export function isAbortError(error: unknown): boolean {
  if (error instanceof ModelCallError) return error.kind === 'aborted';
  return error instanceof Error && (error.name === 'AbortError' || error.name === 'APIUserAbortError');
}
