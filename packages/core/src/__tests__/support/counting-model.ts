/**
 * An in-process model for the executor tests: answers through a function, counts
 * the `complete()` calls in flight and their peak; and an abortable sleep.
 */
import { createModelRuntime, type Model, type CompletionRequest, type ModelLimits } from '@mlpredict/core';

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(Object.assign(new Error('aborted'), { name: 'AbortError' }));
    });
  });
}

export interface FakeModel extends Model {
  requests: CompletionRequest[];
  inFlight: number;
  peak: number;
}

/** An in-process model that counts the `complete()` calls in flight and their peak. */
export function fakeModel(answer: (request: CompletionRequest, call: number) => string | Promise<string>, limits?: ModelLimits, name = 'test:fake'): FakeModel {
  const model: FakeModel = {
    name,
    ...(limits && { limits }),
    // Made with the model, as openAIModel does: everything on this model shares its limits.
    runtime: createModelRuntime({ limits }),
    requests: [],
    inFlight: 0,
    peak: 0,
    async complete(request) {
      model.requests.push(request);
      model.inFlight++;
      model.peak = Math.max(model.peak, model.inFlight);
      try {
        return { text: await answer(request, model.requests.length), usage: { promptTokens: 3, completionTokens: 1 } };
      } finally {
        model.inFlight--;
      }
    },
  };
  return model;
}
