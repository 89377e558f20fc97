/**
 * Plans one round of jobs: each group of records becomes one request line — the
 * same prompt `mlPredict` would send for that group — and the lines are split
 * into jobs at the provider's limits. The plan goes to the job folder before
 * anything is sent: which records each line carries, and the lines as submitted.
 */
import type { BatchApi, BatchLimits } from '../model/model.js';
import type { StructuredOutputMode } from '../model/runtime.js';
import type { ResolvedOptions } from '../config/options.js';
import type { WorkItem } from '../predict/work-item.js';
import { buildBatchRequest } from '../predict/batch-request.js';
import { inJobDir, writeFileAtomic, writeJsonLines } from './job-dir-files.js';
import type { ManifestRound } from './manifest.js';
import { splitParts } from './split-parts.js';
import type { RunBudget } from '../cost/run-budget.js';
import { spendEstimate } from '../cost/spend-estimate.js';

/** One request line: its `custom_id` and the records (by seq) it carries, in prompt order. */
export interface PlannedGroup {
  id: string;
  seqs: number[];
}

export interface RoundPlanInput {
  jobDir: string;
  runId: string;
  round: number;
  groups: readonly PlannedGroup[];
  items: readonly WorkItem[];
  resolved: Pick<ResolvedOptions, 'prompt' | 'parse'>;
  api: BatchApi;
  limits: BatchLimits;
  /** The structured-output mode the endpoint is known to accept, for `structuredOutput: 'auto'`. */
  learned?: StructuredOutputMode;
  /** The run's budget: the groups whose requests it does not cover (at the Batch API price) are left out of the round. */
  budget?: RunBudget;
}

/**
 * Writes the round's groups and request lines to the job folder and returns its
 * manifest entry (every part `planned`).
 *
 * @example
 * manifest.rounds.push(await planRound({ jobDir, runId, round: 0, groups, items, resolved, api, limits: api.limits }));
 */
export async function planRound(input: RoundPlanInput): Promise<ManifestRound> {
  const { jobDir, round, items, resolved, api } = input;
  const requests = input.groups.map(
    (group) =>
      buildBatchRequest(
        group.seqs.map((seq) => items[seq]!),
        resolved.prompt,
        resolved.parse,
        input.learned,
      ).request,
  );
  const fit = input.budget ? input.budget.plan(requests.map((request, i) => spendEstimate(request, input.groups[i]!.seqs.length)), { batch: true }) : requests.length;
  const groups = input.groups.slice(0, fit);
  const lines = groups.map((group, i) => api.encode({ id: group.id, request: requests[i]! }));
  const groupsFile = `round-${round}.groups.jsonl`;
  const requestsFile = `round-${round}.requests.jsonl`;
  const overBudget = fit < input.groups.length ? await writeOverBudget(input, fit) : undefined;
  await writeJsonLines(inJobDir(jobDir, groupsFile), groups);
  await writeFileAtomic(inJobDir(jobDir, requestsFile), lines.map((line) => `${line}\n`).join(''));
  const parts = splitParts(
    lines.map((line) => Buffer.byteLength(line)),
    input.limits,
  ).map((slice, part) => ({ ...slice, tag: `${input.runId}:r${round}p${part}`, step: 'planned' as const }));
  return { round, groupsFile, requestsFile, lines: lines.length, parts, ...(overBudget && { overBudget }) };
}

/** The groups past what the budget covers, kept in their own file; their records get the `budget` error. */
async function writeOverBudget(input: RoundPlanInput, fit: number): Promise<NonNullable<ManifestRound['overBudget']>> {
  const left = input.groups.slice(fit);
  const file = `round-${input.round}.over-budget.jsonl`;
  await writeJsonLines(inJobDir(input.jobDir, file), left);
  const records = left.reduce((sum, group) => sum + group.seqs.length, 0);
  const message =
    `the run's budget (${input.budget!.limitsText()}) does not cover this record's request: ` +
    `the first ${fit} of ${input.groups.length} requests of ${input.round === 0 ? 'the job' : `follow-up round ${input.round}`} are estimated to use it up at the Batch API price; nothing more was sent`;
  return { file, records, message };
}

/**
 * A line's `custom_id`: names the batch (`batch-12`), and the follow-up round it belongs to (`repair1-batch-3`).
 *
 * @example
 * groupId(0, 12) // → 'batch-12'
 */
export function groupId(round: number, index: number): string {
  return round === 0 ? `batch-${index}` : `repair${round}-batch-${index}`;
}
