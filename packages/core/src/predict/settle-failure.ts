/**
 * How a failed request ends its records: the closed error codes, the status, and
 * the difference between a user's cancel and a record's deadline.
 */
import type { ModelCallError } from '../model/errors.js';
import type { PredictErrorCode, PredictVia } from '../results/result.js';
import type { Settlement, WorkItem } from './work-item.js';

export type Settle = (item: WorkItem, settlement: Settlement) => void;

/** Thrown into a batch's signal when a record's `deadlineMs` passes. */
export class DeadlineExceeded extends Error {
  override readonly name = 'DeadlineExceeded';
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

/** Records of a cancelled batch: `timeout` when their deadline did it, else `aborted`. */
export function settleAborted(items: readonly WorkItem[], signal: AbortSignal, settle: Settle): void {
  const deadline = signal.reason instanceof DeadlineExceeded;
  settleAll(items, deadline ? 'timeout' : 'aborted', deadline ? signal.reason.message : 'the run was cancelled before this record was answered', settle);
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
  const code: PredictErrorCode = error.kind === 'rate_limited' ? 'rate_limited' : error.kind === 'timeout' ? 'timeout' : 'http';
  const status = error.status === undefined ? '' : `HTTP ${error.status}: `;
  const via = viaOf(items);
  for (const item of items) {
    settle(item, { error: { code, message: `${status}${error.message}`, ...(error.status !== undefined && { status: error.status }) }, via });
  }
}
