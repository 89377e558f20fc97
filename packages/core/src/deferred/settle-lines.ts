/**
 * A round's outcomes → each record's value, or the group it must be asked in
 * again. The same rules as a real-time batch (`resolve-batch.ts`), applied to
 * answers that came back from a job: answers are read by the run's format and
 * matched by index, never by position; records left out are asked again
 * together; an answer that can't be read (or a prompt too long for the context)
 * splits its group in halves; a lone record gets `EXTRA_TRIES_ALONE` more tries.
 * A line that failed, expired, was cancelled or has no outcome is asked again
 * whole, as a failed request would be retried.
 */
import type { BatchLineOutcome, TokenUsage } from '../model/model.js';
import type { ParseSettings, RepairSettings } from '../config/run-settings.js';
import type { RunStats } from '../metrics/run-stats.js';
import type { RequestEvent } from '../results/events.js';
import { addUsage, finiteUsage } from '../model/token-usage.js';
import { costOf, type ModelPrice } from '../cost/price-table.js';
import { recordShare } from '../predict/record-share.js';
import { errorInfoOf } from '../results/error-code.js';
import type { PredictErrorInfo } from '../results/result.js';
import { readBatchAnswer, unreadableMessage } from '../predict/batch-request.js';
import { checkValue } from '../predict/check-value.js';
import { EXTRA_TRIES_ALONE } from '../predict/resolve-batch.js';
import { settleAll, viaOf, type Settle } from '../predict/settle-failure.js';
import type { WorkItem } from '../predict/work-item.js';
import type { PlannedGroup } from './plan-round.js';

/** Records to ask again together, and what they end with if no more asking is allowed. */
export interface RepairGroup {
  seqs: number[];
  failure: Omit<PredictErrorInfo, 'attempts'>;
}

export interface SettleLinesContext {
  parse: ParseSettings;
  repair: Pick<RepairSettings, 'fallback'>;
  settle: Settle;
  /** Why a line has no outcome at all (the job failed as a whole, or left it out). */
  noOutcome(groupId: string): string;
  /** Each line counts as one request there. */
  stats?: RunStats;
  /** Told of each line as one request, as `onRequest` is of a real-time one. */
  onRequest?: (event: RequestEvent) => void;
  /** The run's price: lines are priced at its Batch API discount. */
  price?: ModelPrice;
}

export interface SettledRound {
  repairs: RepairGroup[];
  warnings: string[];
  usage: TokenUsage;
}

/**
 * @example
 * const { repairs } = await settleLines(groups, new Map(outcomes.map((o) => [o.id, o])), items, { parse, repair, settle, noOutcome });
 * // repairs: [{ seqs: [40, 41, …], failure: { code: 'http', message: 'HTTP 500: …' } }, …]
 */
export async function settleLines(groups: readonly PlannedGroup[], outcomes: ReadonlyMap<string, BatchLineOutcome>, items: readonly WorkItem[], ctx: SettleLinesContext): Promise<SettledRound> {
  const round: SettledRound = { repairs: [], warnings: [], usage: { promptTokens: 0, completionTokens: 0 } };
  for (const group of groups) {
    const members = group.seqs.map((seq) => items[seq]!);
    const outcome = outcomes.get(group.id);
    // A line the job never ran (expired, cancelled, or no outcome at all) was no request.
    if (outcome !== undefined && (outcome.ok || outcome.reason === 'error')) for (const item of members) item.attempts++;
    reportRequest(ctx, members, outcome);
    if (outcome === undefined) askAgain(round, members, { code: 'http', message: ctx.noOutcome(group.id) });
    else if (!outcome.ok) settleFailedLine(round, members, outcome, ctx);
    else await settleAnswer(round, members, outcome.response, ctx);
  }
  return round;
}

function settleFailedLine(round: SettledRound, members: WorkItem[], outcome: Extract<BatchLineOutcome, { ok: false }>, ctx: SettleLinesContext): void {
  if (outcome.reason === 'expired') return askAgain(round, members, { code: 'timeout', message: 'the batch job expired before running this request' });
  if (outcome.reason === 'cancelled') return askAgain(round, members, { code: 'aborted', message: 'the batch job was cancelled before running this request' });
  const { error } = outcome;
  if (error.kind !== 'context_length') return askAgain(round, members, errorInfoOf(error));
  if (members.length === 1) return settleAll(members, 'too_large', `the record alone does not fit the model's context window: ${error.message}`, ctx.settle);
  askInHalves(round, members, { code: 'too_large', message: `the request did not fit the model's context window: ${error.message}` });
}

async function settleAnswer(round: SettledRound, members: WorkItem[], response: Extract<BatchLineOutcome, { ok: true }>['response'], ctx: SettleLinesContext): Promise<void> {
  const read = readBatchAnswer(response, members.length, ctx.parse);
  round.warnings.push(...read.warnings);
  const usage = finiteUsage(response.usage);
  if (usage) round.usage = addUsage(round.usage, usage);
  const spent = usage && recordShare(usage, members.length, ctx.price, { batch: true });
  const via = viaOf(members);
  for (const [position, raw] of read.values) {
    const item = members[position]!;
    const checked = await checkValue(raw, ctx.parse.valueSchema);
    ctx.settle(item, checked.ok ? { value: checked.value, raw, via, ...spent } : { error: { code: 'schema', message: checked.message }, via });
  }
  if (read.missing.length === 0) return;

  const failure: Omit<PredictErrorInfo, 'attempts'> = read.unreadable
    ? { code: 'parse', message: unreadableMessage(read.truncated, members.length, ctx.parse) }
    : { code: 'missing', message: 'the model left this record out of its answer' };
  const missing = read.missing.map((position) => members[position]!);
  if (ctx.repair.fallback === 'none') return settleAll(missing, failure.code, failure.message, ctx.settle);
  if (missing.length < members.length) return askAgain(round, missing, failure);
  if (members.length > 1) return askInHalves(round, members, failure);
  const [only] = members as [WorkItem];
  if (only.triesAlone >= EXTRA_TRIES_ALONE) return settleAll(members, failure.code, `${failure.message}, even alone`, ctx.settle);
  only.triesAlone++;
  askAgain(round, members, failure);
}

function askAgain(round: SettledRound, members: WorkItem[], failure: Omit<PredictErrorInfo, 'attempts'>): void {
  for (const item of members) item.repairs++;
  round.repairs.push({ seqs: members.map((item) => item.seq), failure });
}

function askInHalves(round: SettledRound, members: WorkItem[], failure: Omit<PredictErrorInfo, 'attempts'>): void {
  for (const item of members) item.repairs++;
  const middle = Math.ceil(members.length / 2);
  for (const half of [members.slice(0, middle), members.slice(middle)]) round.repairs.push({ seqs: half.map((item) => item.seq), failure });
}

function reportRequest(ctx: SettleLinesContext, members: WorkItem[], outcome: BatchLineOutcome | undefined): void {
  if (!ctx.stats && !ctx.onRequest) return;
  const base = { batchId: members[0]!.batchId, records: members.length, attempt: 1, latencyMs: 0 };
  let event: RequestEvent;
  if (outcome?.ok) {
    const usage = finiteUsage(outcome.response.usage);
    const cost = usage && ctx.price ? { costUsd: costOf(usage, ctx.price, { batch: true }) } : {};
    event = { ...base, ok: true, ...(usage && { usage }), ...cost };
  } else if (outcome && outcome.reason === 'error') event = { ...base, ok: false, status: outcome.error.status, errorKind: outcome.error.kind };
  else return;
  ctx.stats?.record({ type: 'request', ...event });
  ctx.onRequest?.(event);
}
