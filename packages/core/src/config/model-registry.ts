/**
 * Named models with their own default options: the proposal's `CREATE MODEL
 * sentiment WITH (…)`, so a pipeline says `getModel('sentiment')` and the batch
 * size, prompt and fields come with it. A call's options still override them.
 */
import type { Model } from '../model/model.js';
import { normalizeKeys } from './option-keys.js';
import { resolveOptions, type PredictOptions } from './options.js';
import { SHARES_QUOTA_WITH } from '../resilience/model-runtime.js';

const models = new Map<string, Model>();

/**
 * Registers `model` under `name` with `defaults` over the model's own, and returns
 * the registered model (calls, limits and `name` are the original's). Defaults are
 * validated here, so a bad one fails where it is written; a name is registered once.
 *
 * @example
 * import { defineModel, getModel, openAIModel, predictAll } from '@mlpredict/core';
 * defineModel('sentiment', openAIModel({ model: 'gpt-4o-mini' }), {
 *   'batch.size': 50,
 *   instruction: 'Classify the sentiment (positive, negative, neutral) of each review.',
 *   valueField: 'sentiment',
 * });
 * const results = await predictAll(getModel('sentiment'), reviews, { batchSize: 10 }); // 10 wins over 50
 *
 * @param name the name `getModel` finds it by
 * @param model any {@link Model}
 * @param defaults options in either spelling (camelCase or dotted keys)
 * @returns the model with the merged defaults
 */
export function defineModel(name: string, model: Model, defaults: PredictOptions = {}): Model {
  if (typeof name !== 'string' || name.trim() === '') throw new TypeError('defineModel: the name must be a non-empty string');
  if (models.has(name)) throw new TypeError(`defineModel: a model named "${name}" is already defined; pick another name`);
  // Normalized one side at a time, so 'batch.size' below and batchSize above don't clash.
  const merged = { ...normalizeKeys({ ...model.defaults }), ...normalizeKeys(defaults as Record<string, unknown>) };
  resolveOptions({}, { defaults: merged }, `defineModel("${name}")`);
  const defined: Model & { [SHARES_QUOTA_WITH]: Model } = {
    [SHARES_QUOTA_WITH]: model, // a 429 on either pauses both: one endpoint, one quota
    name: model.name,
    defaults: Object.freeze(merged),
    ...(model.limits && { limits: model.limits }),
    complete: (request) => model.complete(request),
    ...(model.embed && { embed: (request: Parameters<NonNullable<Model['embed']>>[0]) => model.embed!(request) }),
  };
  models.set(name, defined);
  return defined;
}

/**
 * The model `defineModel` registered under `name`; throws naming the defined ones
 * when there is none.
 *
 * @example
 * records$.pipe(mlPredict(getModel('sentiment')))
 */
export function getModel(name: string): Model {
  const model = models.get(name);
  if (model) return model;
  const known = [...models.keys()].map((n) => `"${n}"`);
  throw new TypeError(`getModel: no model named "${name}"; ${known.length ? `defined: ${known.join(', ')}` : 'none is defined yet (call defineModel first)'}`);
}

/** The names `defineModel` has registered, in order. */
export function modelNames(): string[] {
  return [...models.keys()];
}
