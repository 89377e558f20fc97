/**
 * The provider-agnostic model interface. Every stage of mlpredict talks to a model
 * only through this file's types, so OpenAI, Azure, vLLM, Ollama, a fake or a
 * cassette are interchangeable. It depends only on its sibling contracts, on purpose.
 */
import type { ModelRuntime } from './runtime.js';
import type { ModelCallError } from './errors.js';

/** One chat message. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** Asks the provider to constrain its answer's shape, when it can. */
export type ResponseShape =
  | { type: 'text' }
  | { type: 'json_object' }
  | { type: 'json_schema'; name: string; schema: Record<string, unknown>; strict?: boolean };

/** One chat request, as the operators build it. */
export interface CompletionRequest {
  messages: ChatMessage[];
  /** Upper bound on completion tokens; providers call it max_tokens. */
  maxTokens?: number;
  temperature?: number;
  /** Provider-side answer shape (JSON mode, JSON schema). Models may ignore it. */
  responseShape?: ResponseShape;
  /** Aborts the request: per-attempt timeout, unsubscribe or the user's signal. */
  signal?: AbortSignal;
  /** Extra HTTP headers for providers that speak HTTP. */
  headers?: Record<string, string>;
}

/** Token counts as the provider reported them. */
export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
  /**
   * The part of `promptTokens` the provider served from its prompt cache (OpenAI:
   * `usage.prompt_tokens_details.cached_tokens`), billed at the cached-input price.
   * Absent when the provider said nothing about it.
   */
  cachedPromptTokens?: number;
}

/** One chat answer. */
export interface CompletionResponse {
  text: string;
  /** 'stop', 'length' (truncated), 'content_filter', … as the provider says. */
  finishReason?: string;
  usage?: TokenUsage;
  /**
   * The server's rate-limit headers (`x-ratelimit-*`, and `openai-processing-ms`),
   * lower-cased, when it sent any: a quota learns the allowance from them.
   */
  headers?: Record<string, string>;
}

/** One embeddings request: up to the provider's input-count limit. */
export interface EmbeddingRequest {
  inputs: string[];
  signal?: AbortSignal;
  headers?: Record<string, string>;
}

/** One embeddings answer: a vector per input, in input order. */
export interface EmbeddingResponse {
  embeddings: number[][];
  usage?: TokenUsage;
}

/**
 * Limits that belong to the model (the provider's allowance), shared by every
 * operator, pipeline and task that uses the same model object.
 */
export interface ModelLimits {
  /** At most this many requests in flight for this model, across all users of it. */
  maxConcurrency?: number;
  /**
   * Requests per minute the provider allows, counted as a server counts them: a
   * sliding window (one second unless the server's headers show another) that
   * allows the burst the window allows. Learned from `x-ratelimit-*` headers when
   * not given (by the local quota).
   */
  requestsPerMinute?: number;
  /**
   * Tokens per minute the provider allows (prompt estimate plus `maxTokens`),
   * charged once per request the server accepts and reconciled with the usage it
   * reports; a sliding window like `requestsPerMinute`'s, learned the same way.
   */
  tokensPerMinute?: number;
  /** The most prompt tokens (plus `maxTokens`) one request may carry: the context window. Auto batch sizes stay under it. */
  maxPromptTokens?: number;
}

/**
 * What mlpredict needs from a model: a chat call, optionally embeddings.
 *
 * Implementations throw {@link ModelCallError} (from `./errors`) for failures so the
 * retry owner can tell a 429 from a 400; anything else thrown counts as a network
 * error and is retried.
 *
 * @example
 * const echo: Model = {
 *   name: 'echo',
 *   async complete({ messages }) { return { text: messages.at(-1)!.content }; },
 * };
 */
export interface Model {
  /** A stable, human-readable id, e.g. `openai:gpt-4o-mini`; used in cache keys and logs. */
  readonly name: string;
  /** Default options (the proposal's CREATE MODEL … WITH); a call's options override them. */
  readonly defaults?: Readonly<Record<string, unknown>>;
  /** Shared limits; see {@link ModelLimits}. Used to make a runtime when the model brings none. */
  readonly limits?: ModelLimits;
  /**
   * Its quota, connection circuit and learned capabilities, shared by everything
   * that uses this model object (`openAIModel` always makes one). A model without
   * one gets a fresh runtime per pipeline, from `limits`.
   */
  readonly runtime?: ModelRuntime;
  complete(request: CompletionRequest): Promise<CompletionResponse>;
  embed?(request: EmbeddingRequest): Promise<EmbeddingResponse>;
  /** The provider's Batch API (half price, answers within a window), for `predictDeferred`. */
  readonly batches?: BatchApi;
}

/*
 * The Batch API, provider-neutral. OpenAI's Batch API, Anthropic's Message Batches
 * and Gemini's batch mode share one life cycle: many requests, each under an id,
 * go in as one job; the job runs within a window; each request comes back with
 * its answer or its error, in no promised order. `predictDeferred` plans the
 * requests, splits them at `limits`, keeps a manifest so a killed process resumes
 * the same job, and repairs what comes back; a provider only translates.
 */

/** One request of a job: what `complete` takes (less signal and headers), under an id unique in its job. */
export interface BatchRequest {
  /** Comes back with the request's outcome (OpenAI's and Anthropic's `custom_id`, Gemini's `key`). */
  id: string;
  request: Omit<CompletionRequest, 'signal' | 'headers'>;
}

/** What one job may hold; larger sets of requests are split into several jobs. */
export interface BatchLimits {
  /** Requests in one job (OpenAI: 50,000; Anthropic: 100,000). */
  maxRequests: number;
  /** Bytes of the job's input: each encoded line plus its line break (OpenAI: 200 MB; Anthropic: 256 MB). */
  maxBytes: number;
}

/**
 * Where a job stands, in words every provider's states map onto. `pending`,
 * `running` and `cancelling` are on the way; the rest are ended. OpenAI:
 * validating → pending, in_progress and finalizing → running. Anthropic:
 * in_progress → running, canceling → cancelling, ended → completed (its
 * requests say which expired or were cancelled).
 */
export type BatchJobStatus = 'pending' | 'running' | 'cancelling' | 'completed' | 'failed' | 'expired' | 'cancelled';

/** A job as the provider reports it. */
export interface BatchJobInfo {
  id: string;
  status: BatchJobStatus;
  /** The provider's own word for the status (`validating`, `finalizing`, `ended`, …), for progress lines. */
  providerStatus: string;
  /** Requests in the job, answered, and failed (ran and failed, or never ran once the job ended). */
  counts: { total: number; completed: number; failed: number };
  /** The tag given to `submit`, when the job carries one. */
  tag?: string;
  /** Why a `failed` job was refused as a whole (bad lines, too many requests), as the provider said. */
  errors?: string[];
}

/**
 * One request's outcome. `reason` tells a request that ran and failed (`error`:
 * a 500, a 400 context overflow) from one that never ran because the job expired
 * or was cancelled first.
 */
export type BatchLineOutcome =
  | { id: string; ok: true; response: CompletionResponse }
  | { id: string; ok: false; reason: 'error' | 'expired' | 'cancelled'; error: ModelCallError };

export interface BatchSubmitOptions {
  /**
   * Kept with the job (OpenAI: in its `metadata`) so {@link BatchApi.find} can
   * recover a job whose creation a killed process never got to record.
   */
  tag: string;
  /** How long the provider may take, in its own words (OpenAI: `'24h'`). */
  completionWindow: string;
  signal?: AbortSignal;
}

/**
 * A provider's Batch API. Every method throws {@link ModelCallError} for failures,
 * as `complete` does, so the caller can tell a 5xx it may retry from a refusal.
 *
 * @example
 * const api = model.batches!;
 * const lines = requests.map((r) => api.encode(r));
 * let job = await api.submit(lines, { tag: 'backfill-2024-06:0', completionWindow: '24h' });
 * while (!['completed', 'failed', 'expired', 'cancelled'].includes(job.status)) job = await api.retrieve(job.id);
 * for (const outcome of await api.results(job.id)) console.log(outcome.id, outcome.ok);
 */
export interface BatchApi {
  readonly limits: BatchLimits;
  /** One request as a line of the provider's input (OpenAI: a JSONL line); its bytes count toward `limits.maxBytes`. */
  encode(request: BatchRequest): string;
  /** Sends encoded lines as one job (OpenAI: uploads a file, then creates the job over it). */
  submit(lines: readonly string[], options: BatchSubmitOptions): Promise<BatchJobInfo>;
  /** The job submitted with `tag` no earlier than `since` (epoch ms), if there is one. */
  find(tag: string, options: { since: number; signal?: AbortSignal }): Promise<BatchJobInfo | undefined>;
  retrieve(id: string, options?: { signal?: AbortSignal }): Promise<BatchJobInfo>;
  /** Asks the provider to stop the job; requests already run keep their outcomes. */
  cancel(id: string, options?: { signal?: AbortSignal }): Promise<BatchJobInfo>;
  /** Every outcome of an ended job, one per request that has one, in no promised order. */
  results(id: string, options?: { signal?: AbortSignal }): Promise<BatchLineOutcome[]>;
}
