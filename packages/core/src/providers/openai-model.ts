/**
 * The `Model` for any OpenAI-compatible endpoint (OpenAI, Azure, vLLM, Ollama,
 * LiteLLM, the bundled simulator), through the official `openai` SDK with its own
 * retries off: mlpredict is the one retry owner.
 */
import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import type { Model, ModelLimits, CompletionRequest, CompletionResponse, EmbeddingRequest, EmbeddingResponse } from '../model/model.js';
import type { Quota } from '../model/quota.js';
import type { ModelRuntime } from '../model/runtime.js';
import { createModelRuntime } from '../resilience/model-runtime.js';
import { ModelCallError } from '../model/errors.js';
import { retryAfterMs } from '../model/retry-after.js';
import { openAIBatches } from './openai-batches.js';

export interface OpenAIModelOptions extends ModelLimits {
  /** The model id, e.g. `gpt-4o-mini`, or your deployment's name. */
  model: string;
  /** Model for `embed()`; defaults to `model`. */
  embeddingModel?: string;
  /** Defaults to `OPENAI_BASE_URL`, then the OpenAI API. */
  baseURL?: string;
  /** Defaults to `OPENAI_API_KEY`. Local endpoints that need none may leave both unset when `baseURL` is given. */
  apiKey?: string;
  organization?: string;
  project?: string;
  defaultHeaders?: Record<string, string>;
  /** Query parameters on every request (e.g. Azure's `api-version`). */
  defaultQuery?: Record<string, string>;
  /** Bring your own client (e.g. `new AzureOpenAI(…)`); its retries are turned off per request. */
  client?: OpenAI;
  /** Default operator options for calls on this model (the proposal's CREATE MODEL … WITH). */
  defaults?: Record<string, unknown>;
  /** A display name; defaults to `openai:<model>`. */
  name?: string;
  /**
   * The quota every request passes through: a `localQuota` from the limits above
   * when absent; pass one to share an allowance between models, or
   * `@mlpredict/redis`'s `redisQuota` to share it between processes.
   */
  quota?: Quota;
}

/**
 * Creates a {@link Model} backed by the `openai` SDK.
 *
 * @example
 * import { openAIModel } from '@mlpredict/core';
 * const model = openAIModel({ model: 'gpt-4o-mini' }); // OPENAI_API_KEY from the environment
 * const local = openAIModel({ model: 'llama3.1', baseURL: 'http://127.0.0.1:11434/v1' }); // Ollama
 */
export function openAIModel(options: OpenAIModelOptions): Model & { readonly client: OpenAI; readonly runtime: ModelRuntime } {
  if (!options || typeof options.model !== 'string' || options.model === '') {
    throw new TypeError('openAIModel: option "model" is required: the model id, e.g. { model: "gpt-4o-mini" }');
  }
  const baseURL = options.baseURL ?? process.env.OPENAI_BASE_URL;
  const apiKey = options.apiKey ?? process.env.OPENAI_API_KEY ?? (baseURL ? 'no-key' : undefined);
  if (!options.client && apiKey === undefined) {
    throw new TypeError('openAIModel: no API key: pass { apiKey } or set OPENAI_API_KEY (or give a baseURL for a local endpoint that needs none)');
  }
  const client =
    options.client ??
    new OpenAI({
      apiKey,
      baseURL,
      organization: options.organization,
      project: options.project,
      defaultHeaders: options.defaultHeaders,
      defaultQuery: options.defaultQuery,
      maxRetries: 0,
      timeout: 10 * 60_000, // the retry owner sets a tighter per-attempt timeout through the signal
    });
  const { maxConcurrency, requestsPerMinute, tokensPerMinute } = options;

  return {
    name: options.name ?? `openai:${options.model}`,
    defaults: options.defaults,
    limits: { maxConcurrency, requestsPerMinute, tokensPerMinute },
    runtime: createModelRuntime({ quota: options.quota, limits: { maxConcurrency, requestsPerMinute, tokensPerMinute } }),
    client,
    batches: openAIBatches(client, options.model),

    async complete(request: CompletionRequest): Promise<CompletionResponse> {
      try {
        const completion = await client.chat.completions.create(
          {
            model: options.model,
            messages: request.messages,
            ...(request.maxTokens !== undefined && { max_tokens: request.maxTokens }),
            ...(request.temperature !== undefined && { temperature: request.temperature }),
            ...(request.responseShape && request.responseShape.type !== 'text' && { response_format: toResponseFormat(request.responseShape) }),
          },
          { signal: request.signal, headers: request.headers, maxRetries: 0 },
        );
        const choice = completion.choices[0];
        return {
          text: choice?.message?.content ?? '',
          finishReason: choice?.finish_reason ?? undefined,
          usage: completion.usage && { promptTokens: completion.usage.prompt_tokens, completionTokens: completion.usage.completion_tokens },
        };
      } catch (error) {
        throw fromOpenAIError(error);
      }
    },

    async embed(request: EmbeddingRequest): Promise<EmbeddingResponse> {
      try {
        const result = await client.embeddings.create(
          { model: options.embeddingModel ?? options.model, input: request.inputs },
          { signal: request.signal, headers: request.headers, maxRetries: 0 },
        );
        const embeddings = [...result.data].sort((a, b) => a.index - b.index).map((d) => d.embedding);
        return { embeddings, usage: result.usage && { promptTokens: result.usage.prompt_tokens, completionTokens: 0 } };
      } catch (error) {
        throw fromOpenAIError(error);
      }
    },
  };
}

export function toResponseFormat(shape: Exclude<CompletionRequest['responseShape'], undefined | { type: 'text' }>) {
  if (shape.type === 'json_object') return { type: 'json_object' as const };
  return { type: 'json_schema' as const, json_schema: { name: shape.name, schema: shape.schema, strict: shape.strict ?? true } };
}

const CONTEXT_OVERFLOW = /context[_ ]length|maximum context|too many tokens|prompt is too long|reduce the length/i;

/** The SDK's error classes → ModelCallError, keeping status, headers and request id. */
export function fromOpenAIError(error: unknown): unknown {
  if (error instanceof APIUserAbortError) return new ModelCallError('the request was aborted', { kind: 'aborted', cause: error });
  if (error instanceof APIConnectionTimeoutError) return new ModelCallError(error.message, { kind: 'timeout', cause: error });
  if (error instanceof APIConnectionError) return new ModelCallError(`connection failed: ${connectionCause(error)}`, { kind: 'network', cause: error });
  if (!(error instanceof APIError)) return error;
  const headers: Record<string, string> = {};
  error.headers?.forEach((value: string, key: string) => (headers[key] = value));
  const status = error.status;
  const init = { status, headers, requestId: error.requestID ?? undefined, cause: error };
  if (status === 429) return new ModelCallError(error.message, { ...init, kind: 'rate_limited', retryAfterMs: retryAfterMs(headers) });
  if ((status === 400 || status === 413) && (error.code === 'context_length_exceeded' || CONTEXT_OVERFLOW.test(error.message))) {
    return new ModelCallError(error.message, { ...init, kind: 'context_length' });
  }
  return new ModelCallError(error.message, { ...init, kind: 'http', retryAfterMs: retryAfterMs(headers) });
}

/**
 * What really failed under the SDK's "Connection error.": the innermost cause's
 * code and address (`connect ECONNREFUSED 127.0.0.1:9`, `getaddrinfo ENOTFOUND
 * api.example`), so a wrong URL is named, not hidden.
 */
function connectionCause(error: Error): string {
  let cause: unknown = error;
  for (let depth = 0; depth < 8 && cause instanceof Error && cause.cause !== undefined; depth++) cause = cause.cause;
  if (cause === error || !(cause instanceof Error)) return error.message;
  const { code, address, port, hostname } = cause as NodeJS.ErrnoException & { address?: string; port?: number; hostname?: string };
  const where = address !== undefined ? `${address}${port !== undefined ? `:${port}` : ''}` : hostname;
  if (cause.message && (where === undefined || cause.message.includes(where))) return cause.message;
  return [code, where].filter(Boolean).join(' ') || cause.message || error.message;
}
