/**
 * @mlpredict/core/internals — the building blocks, for adapters, providers and
 * tests. Unstable: names here may change in a minor version. What users write
 * lives on the main entry.
 */
// Options.
export { resolveOptions, parseOptions, givenOptions, optionsSchema, OPTION_NAMES, OPTION_SHAPES, type ResolvedOptions, type ParsedOptions } from './config/options.js';
export type { FlowSettings, ParseSettings, RepairSettings, OutputSettings } from './config/run-settings.js';
export { DOTTED_KEYS, DOTTED_BY_NAME, normalizeKeys, describeOption } from './config/option-keys.js';
export { suggestName, formatOptionIssues } from './config/format-issues.js';
export { jsonSchemaOf } from './config/json-schema-of.js';

// The engine.
export { Predictor, maxRecordsInFlight, type PredictorParts } from './predict/predictor.js';
export { predictOperator } from './operators/ml-predict.js';
export { chatResolver, type BatchResolver, type BatchReport, type BatchRun } from './predict/resolve-batch.js';
export { embeddingResolver } from './predict/resolve-embeddings.js';
export { reconcile } from './predict/reconcile.js';
export { runCacheKey } from './predict/run-cache-key.js';
export { checkValue } from './predict/check-value.js';
export { toVerdict, filterInstruction, FILTER_VALUE_FIELD } from './operators/ml-filter.js';
export { errorInfoOf } from './results/error-code.js';

// Batching and prompts.
export { Batcher, planBatches, type BatchingSettings } from './batching/batcher.js';
export { batchRecords } from './batching/batch-records.js';
export { estimateTokens, estimatePromptTokens, PER_RECORD_OVERHEAD_TOKENS, TOKENS_PER_MESSAGE, TOKENS_PER_REPLY } from './batching/estimate-tokens.js';
export { renderMessages, type RecordView } from './prompt/render-prompt.js';
export type { PromptSettings } from './prompt/prompt-settings.js';
export { recordText, type RecordTextOptions } from './prompt/record-text.js';

// Self-tuning ('auto' batch size and concurrency).
export { RunTuning, type RunTuningOptions } from './tuning/run-tuning.js';
export { BatchSizeTuner, type BatchSizeTunerOptions, type AnswerSample, type TimingSample, type BatchDecision } from './tuning/batch-size-tuner.js';
export { ConcurrencyTuner, type ConcurrencyTunerOptions, type RequestSample, type ConcurrencyDecision } from './tuning/concurrency-tuner.js';
export { cutBatch, type CutLimits } from './tuning/cut-batch.js';
export { readContextOverflow, type ContextOverflow } from './tuning/context-overflow.js';
export { DEFAULT_MAX_BATCH_SIZE, AUTO_START_CONCURRENCY, AUTO_MAX_CONCURRENCY } from './tuning/tuning-defaults.js';
export { tuningFor } from './predict/tuning-for.js';
export { DEFAULT_TUNE_SIZES, DEFAULT_TUNE_TOLERANCE } from './operators/tune-batch-size.js';

// Response formats and readers.
export { RESPONSE_FORMATS, RESPONSE_FORMAT_NAMES, FORMAT_OPTION_SHAPES, type ResponseFormatName } from './formats/registry.js';
export type { ResponseFormat, AnswerReadOptions, AnswerShapeInput } from './formats/response-format.js';
export { promptDefaults, DEFAULT_VALUE_FIELD, type PromptDefaults } from './formats/prompt-defaults.js';
export { readJsonAnswers, type JsonAnswerOptions } from './formats/json/read-json-answers.js';
export { parseIndex, type RawAnswer, type ReadAnswers } from './formats/answers.js';
export { extractJson, balancedEnd, type ExtractedJson } from './formats/json/extract-json.js';
export { jsonAnswerShape, STRUCTURED_ROOT } from './formats/json/json-answer-shape.js';
export { DEFAULT_JSON_TEMPLATE, DEFAULT_SYSTEM_PROMPT } from './formats/json/json-format.js';
export { readXmlAnswers, type XmlAnswerOptions } from './formats/xml/read-xml-answers.js';
export { readDelimitedAnswers, type DelimitedAnswerOptions } from './formats/delimited/read-delimited-answers.js';
export { readTextAnswer } from './formats/text/text-format.js';

// Calling models: the retry owner and its parts.
export { callModel, callWithPolicy, toModelCallError, type CallPolicy, type CallInfo, type CallOutcome } from './resilience/call-model.js';
export { callPolicyFor, type CallPolicyParts } from './resilience/call-policy.js';
export type { CallSettings, CallHooks } from './resilience/call-settings.js';
export { runtimeFor } from './resilience/model-runtime.js';
export { connectionCircuit, type ConnectionCircuitOptions } from './resilience/connection-circuit.js';
export { retryDelay, retryDelays, RETRY_STRATEGIES, type RetryDelayOptions, type RetryStrategy } from './resilience/retry-delays.js';
export { TokenBucket } from './resilience/token-bucket.js';
export { SlidingWindow, type WindowCharge, type SlidingWindowOptions } from './resilience/sliding-window.js';
export { RateLimits, DEFAULT_WINDOW_MS, type RateLimitsOptions, type RateLimitsLease } from './resilience/rate-limits.js';
export { readRateLimitHeaders, rateLimitHeadersOf, type RateLimitHeaders, type RateLimitReading } from './resilience/rate-limit-headers.js';
export { ConcurrencyLimiter } from './resilience/concurrency-limiter.js';
export { CircuitBreaker } from './resilience/circuit-breaker.js';
export { RateGate } from './resilience/rate-gate.js';
export { abortableSleep, abortReason } from './resilience/abortable-sleep.js';
export { isRetryable, isFatal, isAbortError } from './model/errors.js';
export { retryAfterMs, parseDuration } from './model/retry-after.js';
export { fromOpenAIError } from './providers/openai-errors.js';

// Caching.
export { cacheKey, stableJson, type CacheKeyParts } from './cache/cache-key.js';

// Cost: a run's price and budget.
export { runPrice } from './cost/run-price.js';
export { runCost, type CostSettings, type RunCost } from './cost/run-cost.js';
export { RunBudget, PRIOR_COMPLETION_TOKENS_PER_RECORD, type SpendEstimate, type BudgetLease, type BudgetState } from './cost/run-budget.js';
export { spendEstimate } from './cost/spend-estimate.js';
export { OPENAI_BATCH_LIMITS } from './providers/openai-batches.js';
export { openAIUsage, finiteUsage, addUsage, usageShare } from './model/token-usage.js';
