/**
 * The provider-agnostic model interface. Every stage of mlpredict talks to a model
 * only through this file's types, so OpenAI, Azure, vLLM, Ollama, a fake or a
 * cassette are interchangeable. It depends only on its sibling contracts, on purpose.
 */
import type { ModelRuntime } from './runtime.js';

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
}

/** One chat answer. */
export interface CompletionResponse {
  text: string;
  /** 'stop', 'length' (truncated), 'content_filter', … as the provider says. */
  finishReason?: string;
  usage?: TokenUsage;
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
  /** Smooth client-side request budget per minute. */
  requestsPerMinute?: number;
  /** Smooth client-side token budget per minute (estimated prompt + max completion). */
  tokensPerMinute?: number;
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
}
