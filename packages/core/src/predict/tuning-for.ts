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
import { estimatePromptTokens } from '../batching/estimate-tokens.js';
import { renderMessages } from '../prompt/render-prompt.js';

/**
 * @example
 * const tuning = tuningFor(model, resolveOptions({}), (e) => console.log(e.message), (limits) => batcher.resize(limits));
 */
export function tuningFor(
  model: Model,
  options: Pick<ResolvedOptions, 'batching' | 'flow' | 'parse' | 'prompt'>,
  onTune: (event: TuneEvent) => void,
  onLimits: (limits: { size: number; maxTokens?: number }) => void,
): RunTuning | undefined {
  const { batching, flow, parse, prompt } = options;
  if (!batching.auto && !flow.autoConcurrency) return undefined;
  const contextTokens = model.limits?.maxPromptTokens;
  return new RunTuning({
    batchSize: batching.auto
      ? {
          cap: batching.size,
          maxTokens: batching.maxTokens,
          contextTokens,
          completionTokens: parse.maxTokens,
          // What a prompt holds besides its records: the window must leave room for it from the first batch.
          ...(contextTokens !== undefined && { instructionTokens: estimatePromptTokens(renderMessages([], prompt)) }),
        }
      : undefined,
    concurrency: flow.autoConcurrency ? { start: flow.concurrency, max: Math.min(AUTO_MAX_CONCURRENCY, model.limits?.maxConcurrency ?? Infinity) } : undefined,
    onTune,
    onLimits,
  });
}
