/**
 * A fake model that answers batch prompts by rule, in process: the simulator's
 * answering without the HTTP, for fast unit tests of anything that takes a Model.
 */
import { createModelRuntime, ModelCallError, type CompletionRequest, type CompletionResponse, type EmbeddingRequest, type EmbeddingResponse, type Model, type ModelLimits } from '@mlpredict/core';
import type { DefectRates } from '../answer-defects.js';
import { answerChat, type Labeler } from '../chat-answering.js';
import { allMessageText } from '../prompt-reading.js';
import { streamFor } from '../seeded-random.js';
import { embeddingFor } from '../simulator/embeddings.js';
import { estimateTokens } from '../token-estimate.js';
import { delay, throwIfAborted } from './fake-latency.js';

export interface FakeModelOptions {
  /** Model name (cache keys, logs); default `fake:rule` (`fake:echo` for echoModel). */
  name?: string;
  /** The model's default operator options. */
  defaults?: Record<string, unknown>;
  limits?: ModelLimits;
  /** Waits this long per call (abortable through the request's signal). */
  latencyMs?: number;
  /** Defects to inject, as in the simulator; `serverError` throws an `http` 500 ModelCallError, `errorObject` an `http` 200 one. */
  defects?: DefectRates;
  /** Seeds the defect draws (default 1). */
  seed?: number;
}

/** A Model that records the requests it got. */
export interface RecordingModel extends Model {
  /** Every request, in call order. */
  readonly calls: CompletionRequest[];
  embed(request: EmbeddingRequest): Promise<EmbeddingResponse>;
}

/**
 * Answers each record of a batch prompt with `fn(text, index)`, by the prompt's own
 * indices and answer shape (JSON array, XML or delimited); a prompt with no indexed
 * records is answered with `fn(wholeUserMessage, 0)` as plain text. Embeddings are
 * the simulator's deterministic vectors.
 *
 * @example
 * import { predictAll } from '@mlpredict/core';
 * import { ruleModel } from '@mlpredict/testing';
 *
 * const model = ruleModel((text) => text.length);
 * const results = await predictAll(model, ['a', 'abc'], { valueField: 'length' });
 * results.map((r) => r.value); // → [1, 3]
 * model.calls.length;          // → 1
 */
export function ruleModel(fn: Labeler, options: FakeModelOptions = {}): RecordingModel {
  const calls: CompletionRequest[] = [];
  const random = streamFor(options.seed ?? 1, 'defects');
  return {
    name: options.name ?? 'fake:rule',
    defaults: options.defaults,
    limits: options.limits,
    // Made with the model, like openAIModel's: pipelines on one fake share its limits and 429 pauses.
    runtime: createModelRuntime({ limits: options.limits }),
    calls,

    async complete(request: CompletionRequest): Promise<CompletionResponse> {
      throwIfAborted(request.signal);
      calls.push(request);
      const { answer } = answerChat(request.messages, request.responseShape, fn, options.defects ?? {}, random);
      await delay(options.latencyMs ?? 0, request.signal);
      if (answer.kind === 'serverError') {
        throw new ModelCallError('simulated server error (defect serverError)', { kind: 'http', status: 500 });
      }
      if (answer.kind === 'errorObject') {
        // As openAIModel reports an HTTP 200 that carries only an error object.
        throw new ModelCallError('the server sent an error instead of an answer (defect errorObject)', { kind: 'http', status: 200, retryable: true });
      }
      // garbageUsage: counts that aren't numbers, as a careless provider might pass them on.
      const count = (n: number) => (answer.garbageUsage ? Number.NaN : n);
      return {
        text: answer.text,
        finishReason: answer.finishReason,
        usage: { promptTokens: count(estimateTokens(allMessageText(request.messages))), completionTokens: count(estimateTokens(answer.text)) },
      };
    },

    async embed(request: EmbeddingRequest): Promise<EmbeddingResponse> {
      throwIfAborted(request.signal);
      await delay(options.latencyMs ?? 0, request.signal);
      const promptTokens = request.inputs.reduce((sum, text) => sum + estimateTokens(text), 0);
      return { embeddings: request.inputs.map((text) => embeddingFor(text)), usage: { promptTokens, completionTokens: 0 } };
    },
  };
}
