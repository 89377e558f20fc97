/**
 * A fake model that plays back a script, one step per call: exact answers for
 * tests of parsing, repair and retries.
 */
import { createModelRuntime, type CompletionRequest, type CompletionResponse, type Model, type ModelLimits, type TokenUsage } from '@mlpredict/core';
import { throwIfAborted } from './fake-latency.js';

/** One call's outcome. */
export type ScriptStep =
  /** The answer text (finish reason `stop`). */
  | string
  /** The answer with its finish reason and usage. */
  | { text: string; finishReason?: string; usage?: TokenUsage }
  /** Thrown (use a ModelCallError to pick the failure kind). */
  | Error
  /** Computes the outcome from the request; may throw. `call` counts from 1. */
  | ((request: CompletionRequest, call: number) => string | CompletionResponse | Promise<string | CompletionResponse>);

export interface ScriptedModelOptions {
  /** Default `fake:scripted`. */
  name?: string;
  defaults?: Record<string, unknown>;
  limits?: ModelLimits;
}

/** A Model that plays a script and records the requests it got. */
export interface ScriptedModel extends Model {
  /** Every request, in call order. */
  readonly calls: CompletionRequest[];
  /** Steps not yet played. */
  readonly remaining: number;
}

/**
 * @example
 * import { ModelCallError } from '@mlpredict/core';
 * import { scriptedModel } from '@mlpredict/testing';
 *
 * const model = scriptedModel([
 *   new ModelCallError('slow down', { kind: 'rate_limited', status: 429, retryAfterMs: 10 }),
 *   '[{"index": 1, "answer": "positive"}]',
 *   { text: '[{"index": 1, "answer": "pos', finishReason: 'length' },
 *   (request) => `echo: ${request.messages.at(-1)!.content}`,
 * ]);
 * // 1st call throws, 2nd answers, 3rd is cut off, 4th echoes, a 5th throws "script ran out".
 */
export function scriptedModel(steps: readonly ScriptStep[], options: ScriptedModelOptions = {}): ScriptedModel {
  const script = [...steps];
  const calls: CompletionRequest[] = [];
  let played = 0;
  return {
    name: options.name ?? 'fake:scripted',
    defaults: options.defaults,
    limits: options.limits,
    // Made with the model, like openAIModel's: pipelines on one fake share its limits and 429 pauses.
    runtime: createModelRuntime({ limits: options.limits }),
    calls,
    get remaining() {
      return script.length - played;
    },

    async complete(request: CompletionRequest): Promise<CompletionResponse> {
      throwIfAborted(request.signal);
      calls.push(request);
      const call = calls.length;
      if (played >= script.length) {
        throw new Error(`scriptedModel: the script ran out: call ${call} has no step (the script has ${script.length})`);
      }
      const step = script[played++]!;
      if (step instanceof Error) throw step;
      const outcome = typeof step === 'function' ? await step(request, call) : step;
      return typeof outcome === 'string' ? { text: outcome, finishReason: 'stop' } : { finishReason: 'stop', ...outcome };
    },
  };
}
