/** The closing summary a CLI run prints on stderr, and the pieces the progress line shares with it. */
import type { RunTally } from './run-tally.js';

/**
 * @example
 * formatSummary(tally)
 * // → 'mlpredict: 1000 rows, 3 errors (bad_input 2, parse 1), 52 requests (1 failed), 48210 tokens (40100 prompt, 8110 completion), $0.011 (gpt-4o-mini list price), 12.4 s (80.6 rows/s)'
 */
export function formatSummary(tally: RunTally): string {
  const rows = `${plural(tally.done, 'row')}${tally.resumed ? ` (${tally.resumed} from an earlier run)` : ''}`;
  const requests = `${plural(tally.requests, 'request')}${tally.failedRequests ? ` (${tally.failedRequests} failed)` : ''}`;
  const cached = tally.cachedPromptTokens > 0 ? `, ${tally.cachedPromptTokens} of them cached` : '';
  const tokens = `${tally.tokens} tokens (${tally.promptTokens} prompt${cached}, ${tally.completionTokens} completion)`;
  const cost = tally.price ? `${formatUsd(tally.cost!)} (${tally.price.source})` : 'cost unknown (give --price-input and --price-output)';
  return `mlpredict: ${rows}, ${errorsText(tally)}, ${requests}, ${tokens}, ${cost}, ${formatDuration(tally.elapsedMs)} (${tally.rate.toFixed(1)} rows/s)`;
}

/**
 * @example
 * errorsText(tally) // → '0 errors', or '3 errors (bad_input 2, parse 1)'
 */
export function errorsText(tally: RunTally): string {
  if (tally.errors === 0) return '0 errors';
  return `${plural(tally.errors, 'error')} (${[...tally.errorsByCode].map(([code, n]) => `${code} ${n}`).join(', ')})`;
}

/** 0.01234 → '$0.012', 12.3456 → '$12.35', 0 → '$0', 0.0000001 → '<$0.000001'. */
export function formatUsd(usd: number): string {
  if (usd === 0) return '$0';
  if (usd < 0.000001) return '<$0.000001';
  return usd >= 1 ? `$${usd.toFixed(2)}` : `$${Number(usd.toPrecision(2))}`;
}

/** 950 → '0.9 s', 75_000 → '1 m 15 s'. */
export function formatDuration(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const totalSeconds = Math.round(ms / 1000);
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  return hours > 0 ? `${hours} h ${minutes} m` : `${minutes} m ${seconds} s`;
}

/**
 * @example
 * plural(1, 'row') // → '1 row'; plural(2, 'row') → '2 rows'
 */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
