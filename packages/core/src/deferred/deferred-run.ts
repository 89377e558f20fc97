/**
 * One deferred run from records to results: admit, plan round 0 (the batches
 * `mlPredict` would send), run its jobs, settle what came back, then repair what
 * is left — in real time, or by follow-up rounds of jobs — and keep the results.
 * Every step is in the manifest first, so the same call on the same folder
 * resumes where a killed process stopped.
 */
import { mkdir } from 'node:fs/promises';
import type { BatchApi, BatchLineOutcome, Model } from '../model/model.js';
import type { ResolvedOptions } from '../config/options.js';
import { planBatches } from '../batching/batcher.js';
import { settleAborted, settleAll, type Settle } from '../predict/settle-failure.js';
import { toResult, type WorkItem } from '../predict/work-item.js';
import type { PredictResult } from '../results/result.js';
import { admitRecords } from './admit-records.js';
import type { DeferredSettings } from './deferred-options.js';
import type { DeferredStatus } from './deferred-status.js';
import { fingerprintMismatch, fingerprintOf } from './fingerprint.js';
import { inJobDir, readJsonLines } from './job-dir-files.js';
import { lockJobDir } from './job-dir-lock.js';
import { newManifest, readManifest, saveManifest, type Manifest, type ManifestRound } from './manifest.js';
import { groupId, planRound, type PlannedGroup } from './plan-round.js';
import { repairRealtime } from './repair-realtime.js';
import { runRoundJobs } from './run-jobs.js';
import { settleLines, type RepairGroup } from './settle-lines.js';
import { fromStoredOutcome, type StoredOutcome } from './stored-outcomes.js';
import { fromStoredResult, readResults, writeResults } from './stored-results.js';
import { clearRepairLog, readRepairLog, repairLog } from './stored-repairs.js';
import type { RunCost } from '../cost/run-cost.js';

/** With `repair: 'deferred'`: follow-up rounds of jobs at most; what is still unanswered after them gets its last error. */
export const MAX_FOLLOW_UP_ROUNDS = 3;
export const RESULTS_FILE = 'results.jsonl';

export interface DeferredRunInput<T> {
  model: Model & { batches: BatchApi };
  records: readonly T[];
  resolved: ResolvedOptions;
  deferred: DeferredSettings;
  /** The options as given, for the fingerprint. */
  given: Record<string, unknown>;
  /** The run's price and budget: the jobs' lines at the Batch API price, real-time repairs at full price, one budget. */
  cost: RunCost;
}

/**
 * @example
 * const results = await runDeferred({ model, records, resolved, deferred, given });
 */
export async function runDeferred<T>(input: DeferredRunInput<T>): Promise<PredictResult<T>[]> {
  const { model, records, resolved, deferred } = input;
  const { jobDir } = deferred;
  const signal = resolved.flow.signal ?? new AbortController().signal;
  const stats = resolved.output.stats;
  const results: Array<PredictResult<T> | undefined> = new Array(records.length);
  // With a valueSchema, each answer before it: the stored results are read through the schema again, as JSON can't keep its output (a Date, a Set).
  const raws: unknown[] = [];
  const answered = resolved.parse.valueSchema ? (seq: number, raw: unknown) => (raws[seq] = raw) : undefined;
  const settle: Settle = (item, settlement) => {
    if (item.done) return;
    item.done = true;
    if (answered && 'value' in settlement && settlement.raw !== undefined) answered(item.seq, settlement.raw);
    const result = toResult(item as WorkItem<T, number>, settlement, Date.now()) as PredictResult<T>;
    item.failed = !result.ok;
    results[item.seq] = result;
    stats?.record({ type: 'result', result });
  };
  const status = (s: DeferredStatus) => deferred.onStatus?.(s);

  const { items, admitted } = admitRecords(records, resolved, Date.now(), settle);
  if (signal.aborted) {
    settleAborted(admitted, signal, settle);
    return results as PredictResult<T>[];
  }

  await mkdir(jobDir, { recursive: true });
  const release = await lockJobDir(jobDir);
  try {
    const fingerprint = fingerprintOf(model.name, records, input.given, items.map((item) => item.text));
    let manifest = await readManifest(jobDir);
    if (manifest) {
      const mismatch = fingerprintMismatch(manifest.fingerprint, fingerprint);
      if (mismatch) {
        // The caller's mistake, like a bad option: a TypeError, and nothing sent.
        throw new TypeError(
          `predictDeferred: jobDir ${jobDir} holds a job made for other records or options: ${mismatch} ` +
            `(it was made ${manifest.createdAt} for ${manifest.records} records on ${manifest.model}). ` +
            'Pass the same records and options to resume that job, or use a new jobDir to start another',
        );
      }
      if (manifest.step === 'repaired' && manifest.resultsFile) return await readResults(inJobDir(jobDir, manifest.resultsFile), records, resolved.parse.valueSchema);
    } else {
      manifest = newManifest(model.name, records.length, fingerprint);
      await clearRepairLog(jobDir);
      const groups = planBatches(admitted, resolved.batching, (item) => item.tokens).map((batch, index) => ({ id: groupId(0, index), seqs: batch.map((item) => item.seq) }));
      if (groups.length > 0) manifest.rounds.push(await planNext(input, manifest, 0, groups, items));
      await saveManifest(jobDir, manifest);
      const overBudget = manifest.rounds[0]?.overBudget?.records;
      status({ step: 'planned', round: 0, parts: manifest.rounds[0]?.parts.length ?? 0, records: admitted.length - (overBudget ?? 0), ...(overBudget && { overBudget }) });
    }

    let leftovers = await runRounds(input, manifest, items, settle);
    if (leftovers.length > 0 && deferred.repair === 'realtime') {
      // What a killed run repaired already is kept, not asked again, and what it spent is counted.
      leftovers = await restoreRepairs(input, leftovers, items, raws, (result) => {
        results[result.seq] = result;
        stats?.record({ type: 'result', result });
      });
    }
    if (leftovers.length > 0 && deferred.repair === 'realtime') {
      status({ step: 'repairing', round: manifest.rounds.length - 1, records: leftovers.reduce((sum, g) => sum + g.seqs.length, 0) });
      const log = repairLog(jobDir);
      const stopLogging = input.cost.budget?.onSpent((spend) => log.spent(spend));
      try {
        await repairRealtime(model, resolved, leftovers, items, (result) => {
          items[result.seq]!.done = true;
          results[result.seq] = result;
          log.result(result, raws[result.seq]);
        }, input.cost, answered);
      } finally {
        stopLogging?.();
        await log.flush();
      }
      if (signal.aborted) return results as PredictResult<T>[];
      // Stopped by an error that cannot heal (a bad key): the folder stays short of done, so a rerun once it is fixed repairs again.
      if (results.some((result) => result?.ok === false && result.error.fatal)) return results as PredictResult<T>[];
    } else {
      // No more follow-up jobs: they ran out, or the budget kept the next one back (its records then get `budget`, as real-time repairs would).
      const followUps = manifest.rounds.length - 1;
      const budget = input.cost.budget;
      const keptBack = followUps < MAX_FOLLOW_UP_ROUNDS && budget?.exhausted;
      for (const group of leftovers) {
        const members = group.seqs.map((seq) => items[seq]!);
        if (keptBack) settleAll(members, 'budget', budget.refusal(), settle);
        else settleAll(members, group.failure.code, `${group.failure.message} (after ${followUps} follow-up job${followUps === 1 ? '' : 's'})`, settle);
      }
    }

    const unsettled = items.filter((item) => results[item.seq] === undefined);
    if (unsettled.length > 0) throw new Error(`predictDeferred: ${unsettled.length} records got no result (first: seq ${unsettled[0]!.seq}); this is a bug, please report it`);
    const done = results as PredictResult<T>[];
    await writeResults(inJobDir(jobDir, RESULTS_FILE), done, raws);
    manifest.resultsFile = RESULTS_FILE;
    manifest.step = 'repaired';
    await saveManifest(jobDir, manifest);
    status({ step: 'done', round: manifest.rounds.length - 1, records: records.length });
    return done;
  } catch (error) {
    if (!signal.aborted) throw error;
    settleAborted(
      items.filter((item) => !item.done),
      signal,
      settle,
    );
    return results as PredictResult<T>[];
  } finally {
    await release();
  }
}

/**
 * Settles the records an earlier run on the folder repaired in real time (kept
 * as they settled) with those results, charges the budget what those repairs
 * spent, and returns the groups still to repair.
 */
async function restoreRepairs<T>(input: DeferredRunInput<T>, groups: RepairGroup[], items: WorkItem<T, number>[], raws: unknown[], keep: (result: PredictResult<T>) => void): Promise<RepairGroup[]> {
  const kept = await readRepairLog(input.deferred.jobDir);
  if (kept.spent.tokens > 0 || kept.spent.usd > 0) input.cost.budget?.chargeSpent(kept.spent);
  if (kept.results.length === 0) return groups;
  const { resolved, records } = input;
  const waiting = new Set(groups.flatMap((group) => group.seqs));
  for (const stored of kept.results) {
    const item = items[stored.seq];
    if (!item || item.done || !waiting.has(stored.seq)) continue;
    const result = await fromStoredResult(stored, records, resolved.parse.valueSchema);
    if (stored.raw !== undefined) raws[stored.seq] = stored.raw;
    item.done = true;
    item.failed = !result.ok;
    waiting.delete(stored.seq);
    keep(result);
  }
  return groups.map((group) => ({ ...group, seqs: group.seqs.filter((seq) => waiting.has(seq)) })).filter((group) => group.seqs.length > 0);
}

/**
 * Runs every round the manifest holds, planning follow-up rounds while
 * `repair: 'deferred'` allows; returns the groups still unanswered.
 */
async function runRounds<T>(input: DeferredRunInput<T>, manifest: Manifest, items: WorkItem<T, number>[], settle: Settle): Promise<RepairGroup[]> {
  const { model, resolved, deferred } = input;
  const signal = resolved.flow.signal ?? new AbortController().signal;
  const ctx = {
    jobDir: deferred.jobDir,
    manifest,
    api: model.batches,
    completionWindow: deferred.completionWindow,
    pollIntervalMs: deferred.pollIntervalMs,
    calls: { retry: resolved.call.retry, maxRetries: resolved.call.maxRetries, signal, jobDir: deferred.jobDir },
    onStatus: deferred.onStatus,
    cancelOnAbort: deferred.cancelOnAbort,
  };
  let leftovers: RepairGroup[] = [];
  for (let r = 0; r < manifest.rounds.length; r++) {
    const round = manifest.rounds[r]!;
    const groups = await readJsonLines<PlannedGroup>(inJobDir(deferred.jobDir, round.groupsFile));
    if (r === 0) groups.forEach((group, index) => group.seqs.forEach((seq) => (items[seq]!.batchId = index)));
    await settleOverBudget(input, round, items, settle, r === 0 ? groups.length : undefined);
    await runRoundJobs(round, ctx);
    const settled = await settleLines(groups, await roundOutcomes(deferred.jobDir, round), items, {
      parse: resolved.parse,
      repair: resolved.repair,
      settle,
      noOutcome: noOutcomeReason(round, groups),
      stats: resolved.output.stats,
      onRequest: resolved.output.onRequest,
      price: input.cost.price,
    });
    // What the lines spent, as the server counted it, replaces the plan's estimate; real-time repairs get the rest.
    input.cost.budget?.charge(settled.usage, { batch: true });
    leftovers = settled.repairs;
    if (leftovers.length === 0) return [];
    // A follow-up round planned by an earlier run is run whatever the mode now: its jobs may exist.
    const planned = r + 1 < manifest.rounds.length;
    if (!planned && deferred.repair === 'deferred' && r < MAX_FOLLOW_UP_ROUNDS && !input.cost.budget?.exhausted) {
      const next = leftovers.map((group, index) => ({ id: groupId(r + 1, index), seqs: group.seqs }));
      manifest.rounds.push(await planNext(input, manifest, r + 1, next, items));
      await saveManifest(deferred.jobDir, manifest);
      deferred.onStatus?.({ step: 'planned', round: r + 1, parts: manifest.rounds[r + 1]!.parts.length, records: next.reduce((sum, g) => sum + g.seqs.length, 0) });
    }
  }
  return leftovers;
}

function planNext<T>(input: DeferredRunInput<T>, manifest: Manifest, round: number, groups: PlannedGroup[], items: WorkItem<T, number>[]): Promise<ManifestRound> {
  const api = input.model.batches;
  return planRound({
    jobDir: input.deferred.jobDir,
    runId: manifest.runId,
    round,
    groups,
    items,
    resolved: input.resolved,
    api,
    limits: { ...api.limits, ...input.deferred.jobLimits },
    learned: input.model.runtime?.structuredOutput,
    budget: input.cost.budget,
  });
}

/**
 * The records of a round's groups its budget did not cover: each gets the
 * `budget` error (also when a resumed run finds them). The budget stays open:
 * what the planned lines leave over is for their own repairs.
 * In round 0 their batch ids follow the planned lines', as their batches would have.
 */
async function settleOverBudget<T>(input: DeferredRunInput<T>, round: ManifestRound, items: WorkItem<T, number>[], settle: Settle, firstBatchId: number | undefined): Promise<void> {
  if (!round.overBudget) return;
  const groups = await readJsonLines<PlannedGroup>(inJobDir(input.deferred.jobDir, round.overBudget.file));
  groups.forEach((group, index) => {
    const members = group.seqs.map((seq) => items[seq]!);
    if (firstBatchId !== undefined) for (const item of members) item.batchId = firstBatchId + index;
    settleAll(members, 'budget', round.overBudget!.message, settle);
  });
}

async function roundOutcomes(jobDir: string, round: ManifestRound): Promise<Map<string, BatchLineOutcome>> {
  const outcomes = new Map<string, BatchLineOutcome>();
  for (const part of round.parts) {
    if (!part.outcomesFile) continue;
    for (const stored of await readJsonLines<StoredOutcome>(inJobDir(jobDir, part.outcomesFile))) {
      // A provider that reports one request twice: the first report stands.
      if (!outcomes.has(stored.id)) outcomes.set(stored.id, fromStoredOutcome(stored));
    }
  }
  return outcomes;
}

/** Why a line of this round has no outcome: its job failed as a whole (with the provider's reasons), or the job left it out. */
function noOutcomeReason(round: ManifestRound, groups: readonly PlannedGroup[]): (id: string) => string {
  const lineOf = new Map(groups.map((group, index) => [group.id, index]));
  return (id) => {
    const line = lineOf.get(id) ?? -1;
    const part = round.parts.find((p) => line >= p.first && line < p.end);
    if (part?.status === 'failed') return `the batch job ${part.jobId} failed${part.errors?.length ? `: ${part.errors.slice(0, 3).join('; ')}` : ''}`;
    return `the batch job ${part?.jobId ?? ''} gave no outcome for this request`.replace('  ', ' ');
  };
}
