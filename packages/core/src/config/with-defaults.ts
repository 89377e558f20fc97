/**
 * A model with its own default options: the proposal's `CREATE MODEL sentiment
 * WITH (…)`, as a value rather than a global registry. A call's options still
 * override them, and the derived model shares the original's runtime (quota,
 * 429 pause, circuit): one endpoint, one allowance.
 */
import type { Model } from '../model/model.js';
import { runtimeFor } from '../resilience/model-runtime.js';
import { normalizeKeys } from './option-keys.js';
import { resolveOptions, type PredictOptions } from './options.js';

/**
 * Returns `model` with `defaults` over the model's own. Defaults are validated
 * here, so a bad one fails where it is written.
 *
 * @example
 * import { openAIModel, predictAll, withDefaults } from '@mlpredict/core';
 * const sentiment = withDefaults(openAIModel({ model: 'gpt-4o-mini' }), {
 *   'batch.size': 50,
 *   instruction: 'Classify the sentiment (positive, negative, neutral) of each review.',
 *   valueField: 'sentiment',
 * });
 * const results = await predictAll(sentiment, ['Great phone', 'Awful'], { batchSize: 10 }); // 10 wins over 50
 *
 * @param model any {@link Model}
 * @param defaults options in either spelling (camelCase or dotted keys)
 * @returns the model with the merged defaults and the same runtime
 */
export function withDefaults(model: Model, defaults: PredictOptions): Model {
  // Normalized one side at a time, so 'batch.size' below and batchSize above don't clash.
  const merged = { ...normalizeKeys({ ...model.defaults }), ...normalizeKeys(defaults as Record<string, unknown>) };
  resolveOptions({}, { defaults: merged }, 'withDefaults');
  const derived: Model = {
    name: model.name,
    defaults: Object.freeze(merged),
    runtime: runtimeFor(model),
    complete: (request) => model.complete(request),
  };
  return Object.assign(derived, model.limits && { limits: model.limits }, model.embed && { embed: model.embed.bind(model) }, model.batches && { batches: model.batches });
}
