/**
 * BatchPrompt's voting (ICLR 2024): ask the same batch `votes` times, each time
 * in a different record order, and keep each record's majority answer. Costs
 * `votes` requests per batch; buys robustness to position bias. Round r rotates
 * the batch by ⌊r·n / votes⌋, so (when n ≥ votes) each record sits at a different
 * position in every round: a bias tied to one position hits a record at most once.
 */
import type { TokenUsage } from '../model/model.js';
import { addUsage } from '../model/token-usage.js';
import { isFatal } from '../model/errors.js';
import { askOnce, type AskContext, type AskOutcome } from './ask-once.js';

/**
 * @example
 * const outcome = await askWithVotes(items, ctx, 3);
 */
export async function askWithVotes(records: ReadonlyArray<{ text: string; input: unknown }>, ctx: AskContext, votes: number): Promise<AskOutcome> {
  const tallies = records.map(() => new Map<string, { value: unknown; count: number }>());
  const warnings: string[] = [];
  let attempts = 0;
  let usage: TokenUsage = { promptTokens: 0, completionTokens: 0 };
  let failure: Extract<AskOutcome, { ok: false }> | undefined;
  let answered = false;

  for (let round = 0; round < votes; round++) {
    // floor(round·n/votes) gives distinct shifts whenever n ≥ votes (ceil(n/votes)·round can wrap onto 0).
    const order = rotatedPositions(records.length, Math.floor((round * records.length) / votes));
    const outcome = await askOnce(order.map((i) => records[i]!), ctx);
    attempts += outcome.attempts;
    if (!outcome.ok) {
      failure = outcome;
      // An error that cannot heal stops the run: asking the other rounds would only repeat it.
      if (outcome.error.kind === 'aborted' || isFatal(outcome.error)) break;
      continue;
    }
    answered = true;
    if (outcome.usage) usage = addUsage(usage, outcome.usage);
    warnings.push(...outcome.warnings);
    for (const [position, value] of outcome.values) {
      const tally = tallies[order[position]!]!;
      const key = JSON.stringify(value) ?? String(value);
      const entry = tally.get(key) ?? { value, count: 0 };
      entry.count++;
      tally.set(key, entry);
    }
  }
  // A fatal error wins over the rounds that answered: the run must stop.
  if (!answered || (failure && isFatal(failure.error))) return { ...failure!, attempts };

  const values = new Map<number, unknown>();
  const missing: number[] = [];
  const noMajority: number[] = [];
  tallies.forEach((tally, position) => {
    // Ties go to the answer seen first (the unshuffled round).
    let best: { value: unknown; count: number } | undefined;
    for (const entry of tally.values()) if (!best || entry.count > best.count) best = entry;
    if (best) values.set(position, best.value);
    else missing.push(position);
    // A strict majority of the rounds asked, or the value is only the answer seen first: say so.
    if (best && best.count * 2 <= votes) noMajority.push(position);
  });
  if (noMajority.length > 0) warnings.push(noMajorityWarning(noMajority, records.length, votes, ctx.parse.indexBase));
  return {
    ok: true,
    attempts,
    values,
    missing,
    unreadable: values.size === 0,
    truncated: false,
    usage,
    warnings,
  };
}

/**
 * The batch event's warning for records whose value no strict majority of the
 * rounds gave (two rounds that disagree, three that all differ, rounds that left
 * the record out): their value is the answer seen first. Names up to 20 records
 * by their index in the unrotated prompt.
 *
 * @example
 * noMajorityWarning([2, 3], 4, 2, 1) // → 'votes: 2 of 4 records had no majority of the 2 rounds (inputs 3, 4); each kept the answer seen first'
 */
export function noMajorityWarning(positions: readonly number[], records: number, votes: number, indexBase: number): string {
  const shown = positions.slice(0, 20).map((p) => p + indexBase);
  const more = positions.length > shown.length ? `, … ${positions.length - shown.length} more` : '';
  return `votes: ${positions.length} of ${records} records had no majority of the ${votes} rounds (inputs ${shown.join(', ')}${more}); each kept the answer seen first`;
}

/**
 * 0..n-1 rotated left by `by`.
 *
 * @example
 * rotatedPositions(5, 2) // → [2, 3, 4, 0, 1]
 */
export function rotatedPositions(n: number, by: number): number[] {
  return Array.from({ length: n }, (_, i) => (i + by) % n);
}
