/**
 * Admission for a deferred run, by the rules a predictor session admits by: a
 * record's text (`textField`, `toText`, strings, JSON) and its token estimate;
 * a record that has no text is `bad_input`, one alone over `maxBatchTokens` is
 * `too_large`, at once.
 */
import type { ResolvedOptions } from '../config/options.js';
import { estimateTokens, PER_RECORD_OVERHEAD_TOKENS } from '../batching/estimate-tokens.js';
import { recordText } from '../prompt/record-text.js';
import type { Settle } from '../predict/settle-failure.js';
import type { WorkItem } from '../predict/work-item.js';

/**
 * Every record as a work item (`items[seq]`), and those that may be sent.
 *
 * @example
 * const { items, admitted } = admitRecords(records, resolved, Date.now(), settle);
 */
export function admitRecords<T>(records: readonly T[], resolved: Pick<ResolvedOptions, 'prompt' | 'batching'>, startedAt: number, settle: Settle): { items: WorkItem<T, number>[]; admitted: WorkItem<T, number>[] } {
  const items: WorkItem<T, number>[] = [];
  const admitted: WorkItem<T, number>[] = [];
  const max = resolved.batching.maxTokens;
  records.forEach((input, seq) => {
    const item: WorkItem<T, number> = { seq, key: seq, input, text: '', tokens: 0, batchId: -1, attempts: 0, repairs: 0, triesAlone: 0, admittedAt: startedAt, startedAt, done: false, failed: false };
    items.push(item);
    try {
      item.text = recordText(input, resolved.prompt);
    } catch (error) {
      return settle(item, { error: { code: 'bad_input', message: error instanceof Error ? error.message : String(error) }, via: 'single' });
    }
    item.tokens = estimateTokens(item.text) + PER_RECORD_OVERHEAD_TOKENS;
    if (max !== undefined && item.tokens > max) {
      return settle(item, { error: { code: 'too_large', message: `the record alone is ~${item.tokens} tokens, over maxBatchTokens (${max})` }, via: 'single' });
    }
    admitted.push(item);
  });
  return { items, admitted };
}
