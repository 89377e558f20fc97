/**
 * One batch from first request to the last record settled: ask, then repair what
 * is left. Missing records are asked again in a smaller batch; an answer that
 * can't be read, or a prompt too long for the context, splits the batch in halves
 * down to single records; a lone record whose answer can't be read gets
 * `EXTRA_TRIES_ALONE` more tries. Each step works on strictly fewer records (or
 * spends one of those few tries), so it ends, and every record is settled once.
 */
import { isFatal, type ModelCallError } from '../model/errors.js';
import { settleAborted, settleAll, settleCallFailure, viaOf, type Settle } from './settle-failure.js';
import type { ParseSettings, RepairSettings } from '../config/run-settings.js';
import type { PromptSettings } from '../prompt/prompt-settings.js';
import type { CallPolicy } from '../resilience/call-model.js';
import { CircuitBreaker } from '../resilience/circuit-breaker.js';
import { askOnce, type AskContext } from './ask-once.js';
import { askWithVotes } from './ask-with-votes.js';
import { checkValue } from './check-value.js';
import { unreadableMessage } from './batch-request.js';
import type { PredictErrorCode } from '../results/result.js';
import type { WorkItem } from './work-item.js';
import { recordShare } from './record-share.js';
import type { RunTuning } from '../tuning/run-tuning.js';
import type { AnswerSample } from '../tuning/batch-size-tuner.js';

/**
 * A lone record whose answer was unreadable or left out is asked this many more
 * times before it becomes a `parse`/`missing` error: models are nondeterministic,
 * and only records already failing pay for it.
 */
export const EXTRA_TRIES_ALONE = 2;

/** What a resolver gets from the run for one batch. */
export interface BatchRun {
  /** Aborts when the run is cancelled, stopped, or the batch's deadline passes. */
  signal: AbortSignal;
  settle: Settle;
  /** An error that cannot heal (bad key, unknown model): stops the whole run at once. */
  stop(error: ModelCallError): void;
}

/** What one batch cost, for `onBatch` and stats. */
export interface BatchReport {
  requests: number;
  warnings: string[];
  promptTokens: number;
  completionTokens: number;
}

/** Settles every record of a batch, one way or another; never throws. */
export type BatchResolver = (items: WorkItem[], batchId: number, run: BatchRun) => Promise<BatchReport>;

/** The parse-fallback breaker of one run, and the failure that last fed it (named when it refuses). */
interface FallbackBreaker {
  breaker: CircuitBreaker;
  lastFailure: string;
}

export interface ChatResolverParts {
  prompt: PromptSettings;
  parse: ParseSettings;
  repair: RepairSettings;
  policy: CallPolicy;
  /** With `batchSize: 'auto'`: told what each request came back with, and cuts an overflowing prompt to what it learned. */
  tuning?: Pick<RunTuning, 'onAnswer' | 'fitContext'>;
}

/**
 * The resolver for chat models: everything this file does, with one breaker per run.
 *
 * @example
 * const resolve = chatResolver({ prompt, parse, repair, policy });
 */
export function chatResolver(parts: ChatResolverParts): BatchResolver {
  const fallback: FallbackBreaker | undefined = parts.repair.circuitBreaker ? { breaker: new CircuitBreaker(parts.repair.circuitBreaker), lastFailure: 'none yet' } : undefined;
  return async (items, batchId, run) => {
    const report: BatchReport = { requests: 0, warnings: [], promptTokens: 0, completionTokens: 0 };
    const observe = parts.tuning && ((sample: AnswerSample) => parts.tuning!.onAnswer(sample));
    await resolveGroup(items, true, { ...parts, fallback, batchId, signal: run.signal, settle: run.settle, stop: run.stop, report, observe });
    return report;
  };
}

interface GroupContext extends AskContext {
  repair: RepairSettings;
  fallback?: FallbackBreaker;
  settle: Settle;
  stop(error: ModelCallError): void;
  report: BatchReport;
  tuning?: ChatResolverParts['tuning'];
}

async function resolveGroup(items: WorkItem[], first: boolean, ctx: GroupContext): Promise<void> {
  if (items.length === 0) return;
  const via = viaOf(items);
  if (ctx.signal.aborted) return settleAborted(items, ctx.signal, ctx.settle);
  // A spent budget sends nothing more: repairs included, before any breaker is asked.
  if (ctx.policy.budget?.exhausted) return settleAll(items, 'budget', ctx.policy.budget.refusal(), ctx.settle);
  if (!first && ctx.fallback && !ctx.fallback.breaker.allow()) {
    return settleAll(items, 'circuit_open', `fallback refused: batch answers kept failing, so the circuit breaker is open (last failure: ${ctx.fallback.lastFailure})`, ctx.settle);
  }

  const outcome = ctx.repair.votes > 1 && items.length > 1 ? await askWithVotes(items, ctx, ctx.repair.votes) : await askOnce(items, ctx);
  ctx.report.requests += outcome.attempts;
  for (const item of items) item.attempts += outcome.attempts;
  if (!outcome.ok) {
    // A fallback call that failed outright still ends its breaker trial, or fallbacks stay refused for good.
    // One the budget kept back says nothing about the model's answers.
    if (!first && outcome.error.kind !== 'budget') recordFallbackFailure(ctx, outcome.error.message);
    return onCallFailed(items, outcome.error, ctx);
  }

  const { usage } = outcome;
  if (usage) {
    ctx.report.promptTokens += usage.promptTokens;
    ctx.report.completionTokens += usage.completionTokens;
  }
  ctx.report.warnings.push(...outcome.warnings);

  const spent = usage && recordShare(usage, items.length, ctx.policy.price);
  for (const [position, raw] of outcome.values) {
    const item = items[position]!;
    const checked = checkValue(raw, ctx.parse.valueSchema);
    const settleChecked = (c: Awaited<typeof checked>) => ctx.settle(item, c.ok ? { value: c.value, raw, via, ...spent } : { error: { code: 'schema', message: c.message }, via });
    if (checked instanceof Promise) settleChecked(await checked);
    else settleChecked(checked);
  }

  if (outcome.firstInDoubt && items.length > 1 && ctx.repair.fallback !== 'none') {
    // The first record left out, or a numbering one too high that lost its last item: without
    // the first record the rest answers plainly (or shows the drift), and the first goes alone.
    // The rest is the batch asked again, not a fallback: the breaker doesn't hold it back.
    for (const item of items) item.repairs++;
    await resolveGroup(items.slice(1), true, ctx);
    return resolveGroup(items.slice(0, 1), false, ctx);
  }

  const code: PredictErrorCode = outcome.unreadable ? 'parse' : 'missing';
  const why = outcome.unreadable
    ? unreadableMessage(outcome.truncated, items.length, ctx.parse)
    : 'the model left this record out of its answer';
  if (outcome.values.size > 0) ctx.fallback?.breaker.recordSuccess();
  else recordFallbackFailure(ctx, why);

  const missing = outcome.missing.map((p) => items[p]!);
  if (missing.length === 0) return;
  for (const item of missing) item.repairs++;

  if (ctx.repair.fallback === 'none') return settleAll(missing, code, why, ctx.settle);

  if (missing.length < items.length) return resolveGroup(missing, false, ctx);
  if (items.length > 1) return resolveHalves(items, ctx);
  const [only] = items as [WorkItem];
  if (only.triesAlone < EXTRA_TRIES_ALONE) {
    only.triesAlone++;
    return resolveGroup(items, false, ctx);
  }
  return settleAll(items, code, `${why}, even alone`, ctx.settle);
}

function recordFallbackFailure(ctx: GroupContext, why: string): void {
  if (!ctx.fallback) return;
  ctx.fallback.lastFailure = why;
  ctx.fallback.breaker.recordFailure();
}

async function resolveHalves(items: WorkItem[], ctx: GroupContext): Promise<void> {
  const middle = Math.ceil(items.length / 2);
  await resolveGroup(items.slice(0, middle), false, ctx);
  await resolveGroup(items.slice(middle), false, ctx);
}

async function onCallFailed(items: WorkItem[], error: ModelCallError, ctx: GroupContext): Promise<void> {
  if (isFatal(error)) {
    ctx.stop(error);
    return settleAborted(items, ctx.signal, ctx.settle);
  }
  if (error.kind !== 'context_length') return settleCallFailure(items, error, ctx.signal, ctx.settle);
  if (items.length === 1) return settleAll(items, 'too_large', `the record alone does not fit the model's context window: ${error.message}`, ctx.settle);
  for (const item of items) item.repairs++;
  // A tuned run has just learned what fits: the parts go at once, each sized to fit, rather than halves one after another.
  const parts = ctx.tuning?.fitContext(items);
  if (parts && parts.length > 1) {
    await Promise.all(parts.map((part) => resolveGroup(part, false, ctx)));
    return;
  }
  return resolveHalves(items, ctx);
}
