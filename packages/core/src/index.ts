/**
 * @mlpredict/core — batched, lossless LLM inference over streams of records.
 * Public exports only; everything else is internal.
 */
// The operators and their array / iterable forms.
export { mlPredict } from './predict/ml-predict.js';
export { predictAll } from './predict/predict-all.js';
export { predictIterable } from './predict/predict-iterable.js';
export { maxRecordsInFlight } from './predict/prediction-run.js';
export * from './predict/result.js';
export type * from './predict/events.js';
export { RunStats, type RunEvent, type StatsSnapshot, type PriceTable } from './predict/run-stats.js';
export { MODEL_PRICES, priceFor, costOf, type ModelPrice, type PricedUsage } from './cost/price-table.js';

// The function family.
export { mlEmbed, embedAll, type EmbedOptions } from './predict/ml-embed.js';
export { mlFilter, filterAll, toVerdict, type FilterOptions } from './predict/ml-filter.js';
export { mlComplete, completeAll, type CompleteOptions } from './predict/ml-complete.js';
export { LruCache, type LruCacheOptions } from './predict/lru-cache.js';
export { cacheKey, runCacheKey, type CacheKeyParts } from './predict/cache-key.js';
export type { AnswerCache } from './predict/answer-cache.js';
export { defineModel, getModel, modelNames } from './config/model-registry.js';
export { readXmlAnswers, type XmlAnswerOptions } from './parse/read-xml-answers.js';
export { readDelimitedAnswers, type DelimitedAnswerOptions } from './parse/read-delimited-answers.js';
export { RESPONSE_FORMATS, RESPONSE_FORMAT_NAMES, type ResponseFormatName } from './parse/response-formats.js';
export type { ResponseFormat, AnswerReadOptions } from './parse/response-format.js';

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
export { openAIModel, type OpenAIModelOptions } from './model/openai-model.js';
export { retryAfterMs } from './model/retry-after.js';

// Building blocks, for adapters and tests.
export { renderMessages, renderPrompt, type PromptOptions, type RecordView } from './prompt/render-prompt.js';
export { DEFAULT_JSON_TEMPLATE, DEFAULT_SYSTEM_PROMPT, DEFAULT_VALUE_FIELD } from './prompt/default-template.js';
export { recordText } from './prompt/record-text.js';
export { estimateTokens } from './batching/estimate-tokens.js';
export { batchRecords, type BatchRecordsOptions } from './batching/batch-records.js';
export { extractJson, balancedEnd, type ExtractedJson } from './parse/extract-json.js';
export { readJsonAnswers, type JsonAnswerOptions, type RawAnswer } from './parse/read-json-answers.js';
export { retryDelay, retryDelays, type RetryDelayOptions } from './resilience/retry-delays.js';
export { TokenBucket } from './resilience/token-bucket.js';
export { ConcurrencyLimiter } from './resilience/concurrency-limiter.js';
export { CircuitBreaker } from './resilience/circuit-breaker.js';
export { RateGate } from './resilience/rate-gate.js';
export { callModel, callWithPolicy, type CallPolicy, type CallInfo, type CallOutcome } from './resilience/call-model.js';
export { callPolicyFor } from './resilience/call-policy.js';
export { modelRuntime, SHARES_QUOTA_WITH } from './resilience/model-runtime.js';
