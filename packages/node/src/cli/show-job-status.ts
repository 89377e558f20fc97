/**
 * Progress of a `--deferred` run on stderr: one line each time the job moves —
 * planned, submitted, its status or counts changed on a poll, answers
 * downloaded, records asked again in real time, done — with the cost so far.
 * Jobs take minutes to hours, so a line per change is few enough for a terminal
 * and for a log alike.
 */
import type { Writable } from 'node:stream';
import type { DeferredStatus } from '@mlpredict/core';
import { formatUsd, plural } from './format-summary.js';
import type { RunTally } from './run-tally.js';

/**
 * The status in words.
 *
 * @example
 * jobStatusText({ step: 'polled', round: 0, part: 0, parts: 1, job: { id: 'batch_1', status: 'running', providerStatus: 'in_progress', counts: { total: 50, completed: 20, failed: 1 } } })
 * // → 'job 1/1 in_progress: 20/50 requests done, 1 failed'
 */
export function jobStatusText(status: DeferredStatus): string {
  const round = status.round > 0 ? `follow-up round ${status.round}, ` : '';
  const job = status.part === undefined ? '' : `${round}job ${status.part + 1}/${status.parts}`;
  const info = status.job;
  switch (status.step) {
    case 'planned': {
      const over = status.overBudget ? `; ${plural(status.overBudget, 'record')} over the budget will not be sent (error "budget")` : '';
      return `${round}planned ${plural(status.records ?? 0, 'record')} into ${plural(status.parts ?? 0, 'batch job')}${over}`;
    }
    case 'submitted':
      return `${job} submitted (${info?.id}, ${info?.providerStatus})`;
    case 'polled': {
      const counts = info ? `: ${info.counts.completed}/${info.counts.total} requests done${info.counts.failed ? `, ${info.counts.failed} failed` : ''}` : '';
      return `${job} ${info?.providerStatus ?? ''}${counts}`;
    }
    case 'downloaded':
      return `${job} ${info?.providerStatus ?? 'ended'}: answers downloaded`;
    case 'cancelled':
      return `${job} cancelled`;
    case 'repairing':
      return `asking ${plural(status.records ?? 0, 'record')} again in real time (lines the job did not answer well)`;
    case 'done':
      return `done: ${plural(status.records ?? 0, 'record')}`;
  }
}

/**
 * @example
 * const show = showJobStatus(tally, process.stderr, { enabled: true });
 * await predictDeferred(model, records, { jobDir, onStatus: show });
 */
export function showJobStatus(tally: RunTally, stderr: Writable, options: { enabled: boolean }): (status: DeferredStatus) => void {
  if (!options.enabled) return () => undefined;
  return (status) => {
    const cost = tally.requests > 0 && tally.cost !== undefined ? ` | ${formatUsd(tally.cost)} so far` : '';
    stderr.write(`mlpredict: ${jobStatusText(status)}${cost}\n`);
  };
}
