/**
 * A record on its way through a run, and how a finished one becomes a
 * {@link PredictResult}.
 */
import type { TokenUsage } from '../model/model.js';
import type { PredictErrorInfo, PredictMeta, PredictResult, PredictVia } from '../results/result.js';

export interface WorkItem<T = unknown, K = unknown> {
  seq: number;
  key: K;
  input: T;
  text: string;
  /** Estimated prompt tokens this record adds to a batch. */
  tokens: number;
  batchId: number;
  attempts: number;
  repairs: number;
  /** Extra tries spent on this record alone after its answer could not be read or was left out. */
  triesAlone: number;
  /** When the record was admitted; `deadlineMs` counts from here. */
  admittedAt: number;
  /** When its batch started; `meta.latencyMs` counts from here. */
  startedAt: number;
  /** Settled already: a second settlement is ignored, so no record is emitted twice. */
  done: boolean;
  failed: boolean;
  /** With `cache`: the key of this record's answer. */
  cacheKey?: string;
}

/** How a record ended: a value or an error (without `attempts`, filled from the item). */
export type Settlement =
  | {
      value: unknown;
      via: PredictVia;
      usage?: TokenUsage;
      /** USD for `usage`, at the run's price. */
      costUsd?: number;
      /** The answer as the model gave it, before `valueSchema` (what the cache keeps). */
      raw?: unknown;
    }
  | { error: Omit<PredictErrorInfo, 'attempts'>; via: PredictVia };

/**
 * @example
 * toResult(item, { value: 'positive', via: 'batch' }, Date.now())
 */
export function toResult<T, K>(item: WorkItem<T, K>, settlement: Settlement, now: number): PredictResult<T, unknown, K> {
  // One literal per object, no spreads: this runs once per record and is the hot path.
  const meta: PredictMeta = { batchId: item.batchId, attempts: item.attempts, via: settlement.via, repairs: item.repairs, latencyMs: Math.max(0, now - item.startedAt) };
  if ('error' in settlement) {
    const { code, message, status, fatal, unreachable } = settlement.error;
    const error: PredictErrorInfo = { code, message, attempts: item.attempts };
    if (status !== undefined) error.status = status;
    if (fatal) error.fatal = true;
    if (unreachable) error.unreachable = true;
    return { ok: false, input: item.input, seq: item.seq, key: item.key, error, meta };
  }
  if (settlement.usage) meta.usage = settlement.usage;
  if (settlement.costUsd !== undefined) meta.costUsd = settlement.costUsd;
  return { ok: true, input: item.input, seq: item.seq, key: item.key, value: settlement.value, meta };
}
