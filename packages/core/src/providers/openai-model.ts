/**
 * The `Model` for any OpenAI-compatible endpoint (OpenAI, Azure, vLLM, Ollama,
 * LiteLLM, the bundled simulator), through the official `openai` SDK with its own
 * retries off: mlpredict is the one retry owner.
 */
import OpenAI from 'openai';
import type { Model, ModelLimits, CompletionRequest, CompletionResponse, EmbeddingRequest, EmbeddingResponse } from '../model/model.js';
import type { Quota } from '../model/quota.js';
import type { ModelRuntime } from '../model/runtime.js';
import { finiteUsage } from '../model/token-usage.js';
import { createModelRuntime } from '../resilience/model-runtime.js';
import { suggestName } from '../config/format-issues.js';
import { readCompletion } from './read-completion.js';
import { chatBody } from './openai-chat-body.js';
import { fromOpenAIError } from './openai-errors.js';
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

/** Every option name; a key missing here fails to compile (below), so a new option can't be refused as a typo. */
const OPTION_NAMES = [
  'model',
  'embeddingModel',
  'baseURL',
  'apiKey',
  'organization',
  'project',
  'defaultHeaders',
  'defaultQuery',
  'client',
  'defaults',
  'name',
  'maxConcurrency',
  'requestsPerMinute',
  'tokensPerMinute',
  'maxPromptTokens',
  'quota',
] as const satisfies ReadonlyArray<keyof OpenAIModelOptions>;
const everyOptionListed: Record<Exclude<keyof OpenAIModelOptions, (typeof OPTION_NAMES)[number]>, never> = {};
void everyOptionListed;

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
  checkOptionNames(options);
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
  const { maxConcurrency, requestsPerMinute, tokensPerMinute, maxPromptTokens } = options;

  return {
    name: options.name ?? `openai:${options.model}`,
    defaults: options.defaults,
    limits: { maxConcurrency, requestsPerMinute, tokensPerMinute, maxPromptTokens },
    runtime: createModelRuntime({ quota: options.quota, limits: { maxConcurrency, requestsPerMinute, tokensPerMinute } }),
    client,
    batches: openAIBatches(client, options.model),

    async complete(request: CompletionRequest): Promise<CompletionResponse> {
      let response: Response;
      try {
        // The raw response, read here: the SDK would hand back a string for a mislabelled body, undefined for an
        // empty one, and a 200 carrying only an error object as if it were a completion.
        response = await client.chat.completions
          .create(chatBody(options.model, request), { signal: request.signal, headers: request.headers, maxRetries: 0 })
          .asResponse();
      } catch (error) {
        throw fromOpenAIError(error);
      }
      return readCompletion(response, request.signal);
    },

    async embed(request: EmbeddingRequest): Promise<EmbeddingResponse> {
      try {
        const result = await client.embeddings.create(
          { model: options.embeddingModel ?? options.model, input: request.inputs },
          { signal: request.signal, headers: request.headers, maxRetries: 0 },
        );
        const embeddings = [...result.data].sort((a, b) => a.index - b.index).map((d) => d.embedding);
        const usage = finiteUsage(result.usage && { promptTokens: result.usage.prompt_tokens, completionTokens: 0 });
        return { embeddings, ...(usage && { usage }) };
      } catch (error) {
        throw fromOpenAIError(error);
      }
    },
  };
}

function checkOptionNames(options: OpenAIModelOptions): void {
  const unknown = Object.keys(options).filter((key) => !(OPTION_NAMES as readonly string[]).includes(key));
  if (unknown.length === 0) return;
  const lines = unknown.map((key) => {
    const hint = suggestName(key, OPTION_NAMES);
    return `  - unknown option "${key}"${hint ? ` (did you mean "${hint}"?)` : ''}`;
  });
  throw new TypeError(`openAIModel: invalid options:\n${lines.join('\n')}\n  known options: ${OPTION_NAMES.join(', ')}`);
}
