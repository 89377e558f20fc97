/**
 * OpenAI's rate-limit headers, which most OpenAI-compatible servers copy:
 * `x-ratelimit-limit-requests`, `-remaining-requests`, `-reset-requests` and the
 * `-tokens` trio. Every answer carries them, successes included, so a client can
 * learn its allowance without being told.
 */
import { parseDuration } from '../model/retry-after.js';

/** One limit as the server reported it. */
export interface RateLimitReading {
  /** The most the window allows. */
  limit: number;
  remaining?: number;
  /** Until the window has room again (sliding window: until the oldest request leaves it; bucket: until it is full). */
  resetMs?: number;
}

/** What the headers say about requests and tokens; a limit is absent when the server sent none for it. */
export interface RateLimitHeaders {
  requests?: RateLimitReading;
  tokens?: RateLimitReading;
}

/**
 * @example
 * readRateLimitHeaders({ 'x-ratelimit-limit-requests': '5', 'x-ratelimit-remaining-requests': '4', 'x-ratelimit-reset-requests': '998ms' })
 * // → { requests: { limit: 5, remaining: 4, resetMs: 998 } }
 */
export function readRateLimitHeaders(headers: Readonly<Record<string, string | undefined>>): RateLimitHeaders {
  const requests = reading(headers, 'requests');
  const tokens = reading(headers, 'tokens');
  return { ...(requests && { requests }), ...(tokens && { tokens }) };
}

/**
 * The headers a quota reads, lower-cased: `x-ratelimit-*`, and
 * `openai-processing-ms` (how long the server worked on the request, which
 * dates when it counted it); undefined when a response has none.
 *
 * @example
 * rateLimitHeadersOf(response.headers) // → { 'x-ratelimit-limit-requests': '5', 'openai-processing-ms': '212', … }
 */
export function rateLimitHeadersOf(headers: { forEach(fn: (value: string, key: string) => void): void }): Record<string, string> | undefined {
  let found: Record<string, string> | undefined;
  headers.forEach((value, key) => {
    const name = key.toLowerCase();
    if (name.startsWith('x-ratelimit-') || name === 'openai-processing-ms') (found ??= {})[name] = value;
  });
  return found;
}

function reading(headers: Readonly<Record<string, string | undefined>>, kind: 'requests' | 'tokens'): RateLimitReading | undefined {
  const limit = count(headers[`x-ratelimit-limit-${kind}`]);
  // A limit of 0 or a word says nothing usable: no limit is learned from it.
  if (limit === undefined || limit === 0) return undefined;
  const remaining = count(headers[`x-ratelimit-remaining-${kind}`]);
  const resetMs = parseDuration(headers[`x-ratelimit-reset-${kind}`]);
  return { limit, ...(remaining !== undefined && { remaining }), ...(resetMs !== undefined && { resetMs }) };
}

function count(value: string | undefined): number | undefined {
  if (value === undefined || !/^\s*\d+(\.\d+)?\s*$/.test(value)) return undefined;
  return Number(value);
}
