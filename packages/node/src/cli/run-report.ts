/**
 * How a run ends on stderr and in the exit status: what stopped it, in one line
 * (an interrupt, a fatal error, a failure), then the summary.
 */
import { formatSummary } from './format-summary.js';
import type { InterruptSignal } from './interrupts.js';
import type { RunTally } from './run-tally.js';
import type { RunOutcome } from './write-rows.js';

/** Exit statuses. */
export const EXIT = { ok: 0, failed: 1, usage: 2, interrupted: 130, terminated: 143 } as const;

export interface ReportContext {
  /** The output is a file a rerun with `--resume` can continue. */
  resumable: boolean;
  /** The signal that stopped the run, if one did. */
  signal?: InterruptSignal;
}

/**
 * @example
 * reportLines({ kind: 'interrupted', aborted: false }, tally, { resumable: true, signal: 'SIGINT' })
 * // → 'mlpredict: interrupted (SIGINT) after 1200 of 2000 rows; rerun with --resume\nmlpredict: 1200 rows, 0 errors, …\n'
 */
export function reportLines(outcome: RunOutcome, tally: RunTally, context: ReportContext): string {
  // One line each, whatever the messages hold, so logs keep one event a line.
  const line = (text: string) => `mlpredict: ${text.replace(/\s*\n\s*/g, ' ')}\n`;
  const then = context.resumable ? 'rerun with --resume' : 'stdout cannot be resumed (give --output FILE to be able to)';
  let cause = '';
  if (outcome.kind === 'interrupted') {
    const of = tally.total === undefined ? '' : ` of ${tally.total}`;
    cause = line(`interrupted${context.signal ? ` (${context.signal})` : ''} after ${tally.done}${of} rows; ${then}`);
  } else if (outcome.kind === 'budget') {
    const of = tally.total === undefined ? '' : ` of ${tally.total}`;
    cause = line(`budget spent after ${tally.done}${of} rows: ${outcome.error.message}; ${context.resumable ? 'rerun with --resume (and a new --max-cost or --max-tokens-total) to continue' : then}`);
  } else if (outcome.kind === 'fatal') {
    const next = context.resumable ? `once that is fixed, ${then}` : 'stdout cannot be resumed: once that is fixed, run again (with --output FILE to be able to resume)';
    cause = line(`stopped: ${outcome.error.code}: ${outcome.error.message} (${tally.done} rows written; ${next})`);
  } else if (outcome.kind === 'failed') {
    const message = outcome.error instanceof Error ? outcome.error.message : String(outcome.error);
    cause = line(`${message}${context.resumable ? ` (${tally.done} rows written; ${then})` : ''}`);
  }
  return `${cause}${formatSummary(tally)}\n`;
}

/**
 * @example
 * exitStatus({ kind: 'fatal', error }, tally, { failOnError: false }) // → 1
 */
export function exitStatus(outcome: RunOutcome, tally: RunTally, options: { failOnError: boolean; signal?: InterruptSignal }): number {
  switch (outcome.kind) {
    case 'complete':
      return options.failOnError && tally.errors > 0 ? EXIT.failed : EXIT.ok;
    case 'interrupted':
      return options.signal === 'SIGTERM' ? EXIT.terminated : EXIT.interrupted;
    default:
      return EXIT.failed;
  }
}
