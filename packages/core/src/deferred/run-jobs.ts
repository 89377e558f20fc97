/**
 * Drives one round's jobs from plan to downloaded outcomes: submits each part
 * (looking for it by tag first when a killed run may have submitted it), polls
 * with backoff until every job has ended, and keeps each job's outcomes in the
 * job folder. The manifest is saved before each step. On abort it cancels the
 * jobs still running, then rethrows.
 */
import type { BatchApi, BatchJobInfo, BatchJobStatus } from '../model/model.js';
import { abortableSleep } from '../resilience/abortable-sleep.js';
import { callBatchApi, type BatchCallSettings } from './call-batch-api.js';
import type { DeferredStatus } from './deferred-status.js';
import { inJobDir, readLines, writeJsonLines } from './job-dir-files.js';
import { saveManifest, type Manifest, type ManifestPart, type ManifestRound } from './manifest.js';
import { toStoredOutcome } from './stored-outcomes.js';

/** A poll that saw nothing move waits this much longer than the last, up to {@link MAX_POLL_FACTOR} × `pollIntervalMs`. */
export const POLL_BACKOFF = 1.5;
export const MAX_POLL_FACTOR = 8;
/** How long a cancel sent after an abort may take: the run is ending, and the job will expire anyway. */
const CANCEL_TIMEOUT_MS = 30_000;

export const ENDED: ReadonlySet<BatchJobStatus> = new Set(['completed', 'failed', 'expired', 'cancelled']);

export interface JobsContext {
  jobDir: string;
  manifest: Manifest;
  api: BatchApi;
  completionWindow: string;
  pollIntervalMs: number;
  calls: BatchCallSettings;
  onStatus?: (status: DeferredStatus) => void;
  /** On abort, cancel the jobs still running (else they are left to run, for a later resume). @default true */
  cancelOnAbort?: boolean;
}

/**
 * @example
 * await runRoundJobs(manifest.rounds[0], { jobDir, manifest, api, completionWindow: '24h', pollIntervalMs: 15_000, calls });
 */
export async function runRoundJobs(round: ManifestRound, ctx: JobsContext): Promise<void> {
  try {
    const unsent = round.parts.filter((part) => part.step === 'planned' || part.step === 'submitting');
    if (unsent.length > 0) {
      const lines = await readLines(inJobDir(ctx.jobDir, round.requestsFile));
      for (const part of unsent) await submitPart(round, part, lines, ctx);
    }
    await pollUntilDownloaded(round, ctx);
  } catch (error) {
    if (ctx.calls.signal.aborted && ctx.cancelOnAbort !== false) await cancelRunning(round, ctx);
    throw error;
  }
}

async function submitPart(round: ManifestRound, part: ManifestPart, lines: readonly string[], ctx: JobsContext): Promise<void> {
  const { api, calls } = ctx;
  const name = partName(round, part);
  const findIt = (signal: AbortSignal) => callBatchApi(`look for ${name} (tag ${part.tag})`, (s) => api.find(part.tag, { since: part.submittingAt!, signal: s }), { ...calls, signal });
  if (part.step === 'submitting') {
    // A run killed while submitting may have made the job: find it rather than make a second one.
    const found = await findIt(calls.signal);
    if (found) return created(round, part, found, ctx);
  }
  part.step = 'submitting';
  part.submittingAt = Date.now();
  await saveManifest(ctx.jobDir, ctx.manifest);
  const job = await callBatchApi(
    `submit ${name}`,
    (signal) => api.submit(lines.slice(part.first, part.end), { tag: part.tag, completionWindow: ctx.completionWindow, signal }),
    calls,
    findIt,
  );
  await created(round, part, job, ctx);
}

async function created(round: ManifestRound, part: ManifestPart, job: BatchJobInfo, ctx: JobsContext): Promise<void> {
  part.jobId = job.id;
  part.status = job.status;
  part.step = 'created';
  await saveManifest(ctx.jobDir, ctx.manifest);
  report(ctx, 'submitted', round, part, job);
}

async function pollUntilDownloaded(round: ManifestRound, ctx: JobsContext): Promise<void> {
  const { api, calls, pollIntervalMs } = ctx;
  const seen = new Map<ManifestPart, string>();
  let delay = pollIntervalMs;
  for (;;) {
    let moved = false;
    for (const part of round.parts.filter((p) => p.step === 'created')) {
      const job = await callBatchApi(`check ${partName(round, part)} (${part.jobId})`, (signal) => api.retrieve(part.jobId!, { signal }), calls);
      const state = `${job.status} ${job.counts.completed} ${job.counts.failed}`;
      if (seen.get(part) !== state) {
        moved = true;
        seen.set(part, state);
        part.status = job.status;
        report(ctx, 'polled', round, part, job);
      }
      if (ENDED.has(job.status)) await download(round, part, job, ctx);
    }
    if (round.parts.every((part) => part.step === 'downloaded')) return;
    delay = nextPollDelay(delay, moved, pollIntervalMs);
    await abortableSleep(delay, calls.signal);
  }
}

/**
 * The wait before the next poll: back to `pollIntervalMs` when something moved,
 * else half again the last wait, up to {@link MAX_POLL_FACTOR} × `pollIntervalMs`.
 *
 * @example
 * nextPollDelay(15_000, false, 15_000) // → 22_500
 */
export function nextPollDelay(previous: number, moved: boolean, pollIntervalMs: number): number {
  return moved ? pollIntervalMs : Math.min(previous * POLL_BACKOFF, pollIntervalMs * MAX_POLL_FACTOR);
}

async function download(round: ManifestRound, part: ManifestPart, job: BatchJobInfo, ctx: JobsContext): Promise<void> {
  const outcomes = await callBatchApi(`download the results of ${partName(round, part)} (${job.id})`, (signal) => ctx.api.results(job.id, { signal }), ctx.calls);
  const file = `round-${round.round}.part-${round.parts.indexOf(part)}.outcomes.jsonl`;
  await writeJsonLines(inJobDir(ctx.jobDir, file), outcomes.map(toStoredOutcome));
  part.outcomesFile = file;
  part.status = job.status;
  if (job.errors) part.errors = job.errors;
  part.step = 'downloaded';
  await saveManifest(ctx.jobDir, ctx.manifest);
  report(ctx, 'downloaded', round, part, job);
}

/** After an abort: cancel every job of the round that may still run, best effort, and say so in the manifest. */
async function cancelRunning(round: ManifestRound, ctx: JobsContext): Promise<void> {
  for (const part of round.parts) {
    if (part.step !== 'submitting' && part.step !== 'created') continue;
    const signal = AbortSignal.timeout(CANCEL_TIMEOUT_MS);
    try {
      if (part.step === 'submitting') {
        const found = await ctx.api.find(part.tag, { since: part.submittingAt!, signal });
        if (!found) continue;
        part.jobId = found.id;
        part.step = 'created';
      }
      const job = await ctx.api.cancel(part.jobId!, { signal });
      part.status = job.status;
      part.cancelRequested = true;
      report(ctx, 'cancelled', round, part, job);
    } catch {
      // Ended already, or unreachable: the job then ends by itself within its window.
    }
  }
  await saveManifest(ctx.jobDir, ctx.manifest);
}

function partName(round: ManifestRound, part: ManifestPart): string {
  return `job ${round.parts.indexOf(part)} of round ${round.round}`;
}

function report(ctx: JobsContext, step: DeferredStatus['step'], round: ManifestRound, part: ManifestPart, job: BatchJobInfo): void {
  ctx.onStatus?.({ step, round: round.round, part: round.parts.indexOf(part), parts: round.parts.length, job });
}
