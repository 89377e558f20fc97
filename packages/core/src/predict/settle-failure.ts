/**
 * How a failed request ends its records: the closed error codes (through
 * `errorInfoOf`, the one map from model errors to codes), and the difference
 * between a user's cancel, a record's deadline and a fatal stop of the run.
 */
import type { ModelCallError } from '../model/errors.js';
import { errorInfoOf } from '../results/error-code.js';
import type { PredictErrorCode, PredictErrorInfo, PredictVia } from '../results/result.js';
import type { Settlement, WorkItem } from './work-item.js';

export type Settle = (item: WorkItem, settlement: Settlement) => void;

/** Thrown into a batch's signal when a record's `deadlineMs` passes. */
export class DeadlineExceeded extends Error {
  override readonly name = 'DeadlineExceeded';
}

/**
 * The run's abort reason when an error that cannot heal stopped it: every record
 * not yet answered gets this error.
 */
export class RunStopped extends Error {
  override readonly name = 'RunStopped';
  constructor(readonly info: Omit<PredictErrorInfo, 'attempts'>) {
    super(info.message);
  }
}

export const viaOf = (items: readonly WorkItem[]): PredictVia => (items.length === 1 ? 'single' : 'batch');

/**
 * @example
 * settleAll(items, 'circuit_open', 'fallback refused', settle);
 */
export function settleAll(items: readonly WorkItem[], code: PredictErrorCode, message: string, settle: Settle): void {
  const via = viaOf(items);
  for (const item of items) settle(item, { error: { code, message }, via });
}

/** Records of a cancelled batch: `timeout` when their deadline did it, the fatal error when one stopped the run, else `aborted`. */
export function settleAborted(items: readonly WorkItem[], signal: AbortSignal, settle: Settle): void {
  const reason: unknown = signal.reason;
  if (reason instanceof RunStopped) {
    const via = viaOf(items);
    for (const item of items) settle(item, { error: reason.info, via });
    return;
  }
  const deadline = reason instanceof DeadlineExceeded;
  settleAll(items, deadline ? 'timeout' : 'aborted', deadline ? reason.message : 'the run was cancelled before this record was answered', settle);
}

/**
 * Settles the records of a request that failed for good (retries spent, or not
 * retryable). Context overflow is the caller's to split, not handled here.
 *
 * @example
 * if (!outcome.ok) settleCallFailure(items, outcome.error, signal, settle);
 */
export function settleCallFailure(items: readonly WorkItem[], error: ModelCallError, signal: AbortSignal, settle: Settle): void {
  if (error.kind === 'aborted') return settleAborted(items, signal, settle);
  const info = errorInfoOf(error);
  const via = viaOf(items);
  for (const item of items) settle(item, { error: info, via });
}
