/**
 * The self-tuning of one run, from its options and its model: a batch-size tuner
 * with `batchSize: 'auto'`, a concurrency tuner with `concurrency: 'auto'`, none
 * with explicit numbers (they keep their exact meaning).
 */
import type { Model } from '../model/model.js';
import type { ResolvedOptions } from '../config/options.js';
import type { TuneEvent } from '../results/events.js';
import { RunTuning } from '../tuning/run-tuning.js';
import { AUTO_MAX_CONCURRENCY } from '../tuning/tuning-defaults.js';

/**
 * @example
 * const tuning = tuningFor(model, resolveOptions({}), (e) => console.log(e.message), (limits) => batcher.resize(limits));
 */
export function tuningFor(
  model: Model,
  options: Pick<ResolvedOptions, 'batching' | 'flow' | 'parse'>,
  onTune: (event: TuneEvent) => void,
  onLimits: (limits: { size: number; maxTokens?: number }) => void,
): RunTuning | undefined {
  const { batching, flow, parse } = options;
  if (!batching.auto && !flow.autoConcurrency) return undefined;
  return new RunTuning({
    batchSize: batching.auto
      ? { cap: batching.size, maxTokens: batching.maxTokens, contextTokens: model.limits?.maxPromptTokens, completionTokens: parse.maxTokens }
      : undefined,
    concurrency: flow.autoConcurrency ? { start: flow.concurrency, max: Math.min(AUTO_MAX_CONCURRENCY, model.limits?.maxConcurrency ?? Infinity) } : undefined,
    onTune,
    onLimits,
  });
}
