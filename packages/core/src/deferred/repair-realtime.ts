/**
 * The records a job left unanswered, asked in real time through a predictor
 * session: each repair group goes out as one batch (submitted, then flushed),
 * and the session's own rules take it from there (ask missing again, split
 * unreadable answers, tries alone, the breaker, the retry owner, the model's
 * quota). Each result counts the job's requests for its record too.
 */
import type { Model } from '../model/model.js';
import type { ResolvedOptions } from '../config/options.js';
import { Predictor } from '../predict/predictor.js';
import type { WorkItem } from '../predict/work-item.js';
import type { PredictResult } from '../results/result.js';
import type { RepairGroup } from './settle-lines.js';
import type { RunCost } from '../cost/run-cost.js';

/**
 * @param deliver gets each record's result (with its seq, attempts and repairs over the whole run)
 * @param answered gets each answered record's answer before `valueSchema`, by seq
 * @example
 * await repairRealtime(model, resolved, repairs, items, (result) => (results[result.seq] = result));
 */
export function repairRealtime<T>(
  model: Model,
  resolved: ResolvedOptions,
  groups: readonly RepairGroup[],
  items: readonly WorkItem<T, number>[],
  deliver: (result: PredictResult<T>) => void,
  cost?: RunCost,
  answered?: (seq: number, raw: unknown) => void,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    // Errors are the caller's to throw once every record has its result.
    const options: ResolvedOptions = { ...resolved, output: { ...resolved.output, onError: 'emit' } };
    // The run's budget, with what the jobs spent already counted, governs the repairs too.
    const predictor = new Predictor<T, unknown, number>(model, options, { ...(cost && { cost }), ...(answered && { answered: (key: unknown, raw: unknown) => answered(key as number, raw) }) }, {
      result: (result) => {
        const item = items[result.key]!;
        const meta = { ...result.meta, batchId: item.batchId, attempts: item.attempts + result.meta.attempts, repairs: item.repairs + result.meta.repairs };
        deliver(result.ok ? { ...result, seq: item.seq, key: item.seq, meta } : { ...result, seq: item.seq, key: item.seq, error: { ...result.error, attempts: meta.attempts }, meta });
      },
      error: reject,
      end: resolve,
    });
    void (async () => {
      for (const group of groups) {
        // One repair group, one request, as the real-time rules would ask it: the whole group, then flush.
        let room = true;
        for (const seq of group.seqs) room = predictor.submit(items[seq]!.input, seq);
        predictor.flush();
        if (!room) await predictor.ready();
      }
      predictor.end();
    })().catch((error: unknown) => {
      predictor.close();
      reject(error);
    });
  });
}
