/** A fake model that answers every record with its own text. */
import { ruleModel, type FakeModelOptions, type RecordingModel } from './rule-model.js';

/**
 * @example
 * import { predictAll } from '@mlpredict/core';
 * import { echoModel } from '@mlpredict/testing';
 *
 * const results = await predictAll(echoModel(), ['hello', 'world']);
 * results.map((r) => r.value); // → ['hello', 'world']
 */
export function echoModel(options: FakeModelOptions = {}): RecordingModel {
  return ruleModel((text) => text, { name: 'fake:echo', ...options });
}
