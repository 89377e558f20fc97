/**
 * The main entry stays small: what users write, about 30 names. Building blocks
 * live on '@mlpredict/core/internals', the executor on '@mlpredict/core/executor'.
 */
import * as core from '@mlpredict/core';
import * as internals from '@mlpredict/core/internals';
import * as executor from '@mlpredict/core/executor';

it('keeps the main entry to about 30 names, the ones users write', () => {
  const names = Object.keys(core).sort();
  expect(names.length).toBeLessThanOrEqual(32);
  for (const name of ['mlPredict', 'predictAll', 'predictIterable', 'createPredictor', 'runSource', 'openAIModel', 'PredictError', 'ModelCallError', 'RunStats']) {
    expect(names).toContain(name);
  }
  // Resilience pieces and readers are not on it.
  for (const name of ['RateGate', 'TokenBucket', 'readJsonAnswers', 'suggestName', 'optionsSchema', 'resolveOptions', 'runTasks']) expect(names).not.toContain(name);
});

it('puts the building blocks on /internals and the executor on /executor', () => {
  for (const name of ['resolveOptions', 'Predictor', 'readJsonAnswers', 'TokenBucket', 'callWithPolicy', 'planBatches']) expect(Object.keys(internals)).toContain(name);
  expect(Object.keys(executor).sort()).toEqual(['mapChain', 'runSequence', 'runTasks']);
});
