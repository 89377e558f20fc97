/**
 * One batch from first request to the last record settled: ask, then repair what
 * is left. Missing records are asked again in a smaller batch; an answer that
 * can't be read, or a prompt too long for the context, splits the batch in halves
 * down to single records; a lone record whose answer can't be read gets one more
 * try. Each step works on strictly fewer records, so it ends, and every record is
 * settled exactly once.
 */
import type { ModelCallError } from '../model/errors.js';
import type { ResolvedOptions } from '../config/options.js';
import type { CallPolicy } from '../resilience/call-model.js';
import type { CircuitBreaker } from '../resilience/circuit-breaker.js';
import { askOnce, type AskContext } from './ask-once.js';
import { askWithVotes } from './ask-with-votes.js';
import { checkValue } from './check-value.js';
import type { PredictErrorCode, PredictVia } from './result.js';
import type { Settlement, WorkItem } from './work-item.js';

export interface BatchContext {
  options: ResolvedOptions;
  policy: CallPolicy;
  breaker?: CircuitBreaker;
  settle(item: WorkItem, settlement: Settlement): void;
}

export interface BatchReport {
  requests: number;
  warnings: string[];
  promptTokens: number;
  completionTokens: number;
}

/** Thrown into a batch's signal when a record's `deadlineMs` passes. */
export class DeadlineExceeded extends Error {
  override readonly name = 'DeadlineExceeded';
}

/**
 * Settles every item of `items` through `ctx.settle`; never throws.
 *
 * @example
 * const report = await resolveBatch(items, 0, ctx, signal);
 */
export async function resolveBatch(items: WorkItem[], batchId: number, ctx: BatchContext, signal: AbortSignal): Promise<BatchReport> {
  const report: BatchReport = { requests: 0, warnings: [], promptTokens: 0, completionTokens: 0 };
  await resolveGroup(items, true, { ...ctx, batchId, signal, report });
  return report;
}

interface GroupContext extends BatchContext, AskContext {
  report: BatchReport;
}

async function resolveGroup(items: WorkItem[], first: boolean, ctx: GroupContext): Promise<void> {
  if (items.length === 0) return;
  const via: PredictVia = items.length === 1 ? 'single' : 'batch';
  if (ctx.signal.aborted) return settleAll(items, abortCode(ctx.signal), abortMessage(ctx.signal), via, ctx);
  if (!first && ctx.breaker && !ctx.breaker.allow()) {
    return settleAll(items, 'circuit_open', 'fallback refused: batch answers kept failing, so the circuit breaker is open', via, ctx);
  }

  const outcome = ctx.options.votes > 1 && items.length > 1 ? await askWithVotes(items, ctx) : await askOnce(items, ctx);
  ctx.report.requests += outcome.attempts;
  for (const item of items) item.attempts += outcome.attempts;
  if (!outcome.ok) return onCallFailed(items, outcome.error, ctx);

  const { usage } = outcome;
  if (usage) {
    ctx.report.promptTokens += usage.promptTokens;
    ctx.report.completionTokens += usage.completionTokens;
  }
  ctx.report.warnings.push(...outcome.warnings);

  const share = usage && { promptTokens: usage.promptTokens / items.length, completionTokens: usage.completionTokens / items.length };
  for (const [position, raw] of outcome.values) {
    const checked = checkValue(raw, ctx.options.valueSchema);
    ctx.settle(items[position]!, checked.ok ? { value: checked.value, via, ...(share && { usage: share }) } : { error: { code: 'schema', message: checked.message }, via });
  }

  if (outcome.values.size > 0) ctx.breaker?.recordSuccess();
  else ctx.breaker?.recordFailure();

  const missing = outcome.missing.map((p) => items[p]!);
  if (missing.length === 0) return;
  for (const item of missing) item.repairs++;

  const code: PredictErrorCode = outcome.unreadable ? 'parse' : 'missing';
  const why = outcome.unreadable
    ? `the model's answer could not be read${outcome.truncated ? ' (cut off: finish_reason length)' : ''}`
    : 'the model left this record out of its answer';
  if (ctx.options.fallback === 'none') return settleAll(missing, code, why, via, ctx);

  if (missing.length < items.length) return resolveGroup(missing, false, ctx);
  if (items.length > 1) return resolveHalves(items, ctx);
  const [only] = items as [WorkItem];
  if (!only.retriedAlone) {
    only.retriedAlone = true;
    return resolveGroup(items, false, ctx);
  }
  return settleAll(items, code, `${why}, even alone`, via, ctx);
}

async function resolveHalves(items: WorkItem[], ctx: GroupContext): Promise<void> {
  const middle = Math.ceil(items.length / 2);
  await resolveGroup(items.slice(0, middle), false, ctx);
  await resolveGroup(items.slice(middle), false, ctx);
}

async function onCallFailed(items: WorkItem[], error: ModelCallError, ctx: GroupContext): Promise<void> {
  const via: PredictVia = items.length === 1 ? 'single' : 'batch';
  if (error.kind === 'context_length') {
    if (items.length > 1) {
      for (const item of items) item.repairs++;
      return resolveHalves(items, ctx);
    }
    return settleAll(items, 'too_large', `the record alone does not fit the model's context window: ${error.message}`, via, ctx);
  }
  if (error.kind === 'aborted') return settleAll(items, abortCode(ctx.signal), abortMessage(ctx.signal), via, ctx);
  const code: PredictErrorCode = error.kind === 'rate_limited' ? 'rate_limited' : error.kind === 'timeout' ? 'timeout' : 'http';
  const status = error.status === undefined ? '' : `HTTP ${error.status}: `;
  for (const item of items) {
    ctx.settle(item, { error: { code, message: `${status}${error.message}`, ...(error.status !== undefined && { status: error.status }) }, via });
  }
}

function settleAll(items: WorkItem[], code: PredictErrorCode, message: string, via: PredictVia, ctx: BatchContext): void {
  for (const item of items) ctx.settle(item, { error: { code, message }, via });
}

function abortCode(signal: AbortSignal): PredictErrorCode {
  return signal.reason instanceof DeadlineExceeded ? 'timeout' : 'aborted';
}

function abortMessage(signal: AbortSignal): string {
  return signal.reason instanceof DeadlineExceeded ? signal.reason.message : 'the run was cancelled before this record was answered';
}
