/** The closing summary a CLI run prints on stderr. */
import type { RunTally } from './run-tally.js';

/**
 * @example
 * formatSummary(tally)
 * // → 'mlpredict: 1000 records, 3 errors (bad_input 2, parse 1), 52 requests (1 failed), 48210 tokens (40100 prompt, 8110 completion), 12.4 s'
 */
export function formatSummary(tally: RunTally): string {
  const errors = tally.errors === 0 ? '0 errors' : `${tally.errors} error${tally.errors === 1 ? '' : 's'} (${[...tally.errorsByCode].map(([code, n]) => `${code} ${n}`).join(', ')})`;
  const requests = `${tally.requests} request${tally.requests === 1 ? '' : 's'}${tally.failedRequests ? ` (${tally.failedRequests} failed)` : ''}`;
  const tokens = `${tally.tokens} tokens (${tally.promptTokens} prompt, ${tally.completionTokens} completion)`;
  return `mlpredict: ${tally.rows} record${tally.rows === 1 ? '' : 's'}, ${errors}, ${requests}, ${tokens}, ${formatDuration(tally.elapsedMs)}`;
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
