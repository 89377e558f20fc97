/**
 * @mlpredict/core — batched, lossless LLM inference over streams of records.
 * Public exports only; everything else is internal.
 */
// The operators and their array / iterable forms.
export { mlPredict } from './operators/ml-predict.js';
export { predictAll } from './operators/predict-all.js';
export { predictIterable } from './operators/predict-iterable.js';
export { maxRecordsInFlight } from './predict/prediction-run.js';
export * from './results/result.js';
export type * from './results/events.js';
export { RunStats, type RunEvent, type StatsSnapshot, type PriceTable } from './metrics/run-stats.js';

// The function family.
export { mlEmbed, embedAll, type EmbedOptions } from './operators/ml-embed.js';
export { mlFilter, filterAll, toVerdict, type FilterOptions } from './operators/ml-filter.js';
export { mlComplete, completeAll, type CompleteOptions } from './operators/ml-complete.js';
export { LruCache, type LruCacheOptions } from './cache/lru-cache.js';
export { cacheKey, runCacheKey, type CacheKeyParts } from './cache/cache-key.js';
export type { AnswerCache } from './cache/answer-cache.js';
export { defineModel, getModel, modelNames } from './config/model-registry.js';
export { readXmlAnswers, type XmlAnswerOptions } from './formats/xml/read-xml-answers.js';
export { readDelimitedAnswers, type DelimitedAnswerOptions } from './formats/delimited/read-delimited-answers.js';
export { RESPONSE_FORMATS, RESPONSE_FORMAT_NAMES, type ResponseFormatName } from './formats/registry.js';
export type { ResponseFormat, AnswerReadOptions } from './formats/response-format.js';

// Tasks, chains and pools on the same engine (model limits shared with the operators).
export { runTasks, type RunTasksOptions, type TaskResults } from './executor/run-tasks.js';
export { runSequence, type RunSequenceOptions, type SequenceTask } from './executor/run-sequence.js';
export {
  mapChain,
  type MapChainOptions,
  type ChainStep,
  type ChainItemResult,
  type ChainItemCompleted,
  type ChainItemFailed,
  type StepContext,
  type StepFunction,
  type LlmStep,
  type BatchStep,
} from './executor/map-chain.js';
export type * from './executor/task-types.js';

// Options.
export { resolveOptions, optionsSchema, RETRY_STRATEGIES, type PredictOptions, type ResolvedOptions, type RetryStrategy } from './config/options.js';
export { DOTTED_KEYS, normalizeKeys } from './config/option-keys.js';
export { suggestName } from './config/format-issues.js';

// Models.
export type * from './model/model.js';
export type * from './model/quota.js';
export type * from './source/source.js';
export { ModelCallError, isRetryable, isAbortError, type ModelErrorKind, type ModelCallErrorInit } from './model/errors.js';
export { openAIModel, type OpenAIModelOptions } from './providers/openai-model.js';
export { retryAfterMs } from './model/retry-after.js';

// Building blocks, for adapters and tests.
export { renderMessages, renderPrompt, type PromptOptions, type RecordView } from './prompt/render-prompt.js';
export { DEFAULT_JSON_TEMPLATE, DEFAULT_SYSTEM_PROMPT, DEFAULT_VALUE_FIELD } from './prompt/default-template.js';
export { recordText } from './prompt/record-text.js';
export { estimateTokens } from './batching/estimate-tokens.js';
export { batchRecords, type BatchRecordsOptions } from './batching/batch-records.js';
export { extractJson, balancedEnd, type ExtractedJson } from './formats/json/extract-json.js';
export { readJsonAnswers, type JsonAnswerOptions, type RawAnswer } from './formats/json/read-json-answers.js';
export { retryDelay, retryDelays, type RetryDelayOptions } from './resilience/retry-delays.js';
export { TokenBucket } from './resilience/token-bucket.js';
export { ConcurrencyLimiter } from './resilience/concurrency-limiter.js';
export { CircuitBreaker } from './resilience/circuit-breaker.js';
export { RateGate } from './resilience/rate-gate.js';
export { callModel, callWithPolicy, type CallPolicy, type CallInfo, type CallOutcome } from './resilience/call-model.js';
export { callPolicyFor } from './resilience/call-policy.js';
export { modelRuntime, SHARES_QUOTA_WITH } from './resilience/model-runtime.js';
