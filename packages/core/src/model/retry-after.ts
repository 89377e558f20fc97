/**
 * Reads a server's "wait this long" hint from response headers: `retry-after-ms`,
 * `retry-after` (seconds or an HTTP date), then OpenAI's `x-ratelimit-reset-requests`
 * / `-tokens` (`1s`, `250ms`, `6m0s`). Hints over a minute are ignored as bogus, as
 * openai-node does.
 *
 * @example
 * retryAfterMs({ 'retry-after': '2' }) // → 2000
 * retryAfterMs({ 'x-ratelimit-reset-requests': '1m30s' }) // → 90000
 */
export function retryAfterMs(headers: Record<string, string | undefined>, now: number = Date.now()): number | undefined {
  const candidates = [
    parseMs(headers['retry-after-ms']),
    parseRetryAfter(headers['retry-after'], now),
    maxDefined(parseDuration(headers['x-ratelimit-reset-requests']), parseDuration(headers['x-ratelimit-reset-tokens'])),
  ];
  const hint = candidates.find((ms) => ms !== undefined);
  return hint !== undefined && hint >= 0 && hint <= 60_000 ? hint : undefined;
}

function parseMs(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = Number(value);
  return Number.isFinite(ms) ? ms : undefined;
}

function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** OpenAI's reset durations: `1s`, `250ms`, `6m0s`, `1h2m3.5s`. */
export function parseDuration(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const re = /(\d+(?:\.\d+)?)(ms|h|m|s)/g;
  const unit: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  let consumed = 0;
  for (const match of value.matchAll(re)) {
    total += Number(match[1]) * unit[match[2]!]!;
    consumed += match[0].length;
  }
  return consumed === value.trim().length && consumed > 0 ? total : undefined;
}

function maxDefined(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.max(a, b);
}
