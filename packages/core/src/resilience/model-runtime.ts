/**
 * Makes a {@link ModelRuntime}: the quota (local unless given), the connection
 * circuit, and the capabilities learned about the endpoint. An object made with
 * the model, never a hidden registry: share it by passing it (or the quota).
 */
import type { Model, ModelLimits } from '../model/model.js';
import type { Quota } from '../model/quota.js';
import type { ModelRuntime } from '../model/runtime.js';
import { connectionCircuit, type ConnectionCircuitOptions } from './connection-circuit.js';
import { localQuota } from './local-quota.js';

export interface ModelRuntimeOptions {
  /** The quota requests pass through; a {@link localQuota} from `limits` when absent. */
  quota?: Quota;
  limits?: ModelLimits;
  circuit?: ConnectionCircuitOptions;
}

/**
 * @example
 * import { createModelRuntime } from '@mlpredict/core';
 * const runtime = createModelRuntime({ limits: { maxConcurrency: 4 } });
 * const model: Model = { name: 'mine', runtime, complete: async () => ({ text: '[]' }) };
 */
export function createModelRuntime(options: ModelRuntimeOptions = {}): ModelRuntime {
  return { quota: options.quota ?? localQuota(options.limits), circuit: connectionCircuit(options.circuit) };
}

/** The model's own runtime, or a fresh one from its limits (for a model that brings none). */
export function runtimeFor(model: Model): ModelRuntime {
  return model.runtime ?? createModelRuntime({ limits: model.limits });
}
