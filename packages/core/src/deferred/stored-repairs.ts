/**
 * The real-time repairs of a run, kept in the job folder as they settle: each
 * repaired record's result, and what each repair request spent of the budget.
 * A process killed while repairing leaves them there, so the next run on the
 * folder neither asks those records again nor forgets what was spent. Lines are
 * appended one by one; a line a kill cut short is the last one, and is ignored.
 */
import { appendFile, readFile, rm } from 'node:fs/promises';
import type { BudgetSpend } from '../cost/run-budget.js';
import type { PredictResult } from '../results/result.js';
import { inJobDir } from './job-dir-files.js';
import { toStoredResult, type StoredResult } from './stored-results.js';

export const REPAIRS_FILE = 'realtime-repairs.jsonl';

export type StoredRepair = { spent: BudgetSpend } | { result: StoredResult };

export interface RepairLog {
  spent(spend: BudgetSpend): void;
  /** A repaired record's result; the ones a rerun must ask again (a fatal error, aborted, budget) are not kept. */
  result(result: PredictResult<unknown>, raw: unknown): void;
  /** Waits for every line so far to be written; throws the first write's error. */
  flush(): Promise<void>;
}

/**
 * @example
 * const log = repairLog(jobDir);
 * log.result(result, raws[result.seq]);
 * await log.flush();
 */
export function repairLog(jobDir: string): RepairLog {
  const path = inJobDir(jobDir, REPAIRS_FILE);
  let written: Promise<void> = Promise.resolve();
  let failure: unknown;
  const add = (entry: StoredRepair) => {
    const line = `${JSON.stringify(entry)}\n`;
    written = written.then(() => appendFile(path, line, 'utf8')).catch((error: unknown) => void (failure ??= error));
  };
  return {
    spent: (spend) => add({ spent: { tokens: spend.tokens, usd: spend.usd } }),
    result: (result, raw) => {
      if (!result.ok && (result.error.fatal || result.error.code === 'aborted' || result.error.code === 'budget')) return;
      add({ result: toStoredResult(result, raw) });
    },
    flush: async () => {
      await written;
      if (failure !== undefined) throw failure;
    },
  };
}

/**
 * What an earlier run's real-time repairs left in the folder (nothing when it made none).
 *
 * @example
 * const { spent, results } = await readRepairLog(jobDir);
 */
export async function readRepairLog(jobDir: string): Promise<{ spent: BudgetSpend; results: StoredResult[] }> {
  let text: string;
  try {
    text = await readFile(inJobDir(jobDir, REPAIRS_FILE), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { spent: { tokens: 0, usd: 0 }, results: [] };
    throw error;
  }
  const spent: BudgetSpend = { tokens: 0, usd: 0 };
  const results: StoredResult[] = [];
  const lines = text.split('\n');
  lines.forEach((line, index) => {
    if (line === '') return;
    let entry: StoredRepair;
    try {
      entry = JSON.parse(line) as StoredRepair;
    } catch (error) {
      // Only the last line can be cut short by a kill; anything else is not ours.
      if (index === lines.length - 1) return;
      throw new Error(`predictDeferred: ${inJobDir(jobDir, REPAIRS_FILE)} line ${index + 1} is not valid JSON (${error instanceof Error ? error.message : String(error)}); delete the job folder to start over`);
    }
    if ('spent' in entry) {
      spent.tokens += entry.spent.tokens;
      spent.usd += entry.spent.usd;
    } else results.push(entry.result);
  });
  return { spent, results };
}

/** A new job starts with no repairs: a file left by an earlier job in the folder is removed. */
export function clearRepairLog(jobDir: string): Promise<void> {
  return rm(inJobDir(jobDir, REPAIRS_FILE), { force: true });
}
