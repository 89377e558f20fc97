/**
 * @mlpredict/core — batched, lossless LLM inference over streams of records.
 *
 * The main entry holds what users write: the operators and their array and
 * iterable forms, the predictor session and the source runner, the OpenAI-
 * compatible model and the `Model` contract, results, errors, stats and option
 * types. Building blocks for adapters are on `@mlpredict/core/internals`
 * (unstable); tasks, chains and pools on `@mlpredict/core/executor`.
 */
// Operators, their array / iterable forms, and the session under them all.
export { mlPredict } from './operators/ml-predict.js';
export { predictAll } from './operators/predict-all.js';
export { predictIterable } from './operators/predict-iterable.js';
export { mlFilter, filterAll, type FilterOptions } from './operators/ml-filter.js';
export { mlComplete, completeAll, type CompleteOptions } from './operators/ml-complete.js';
export { mlEmbed, embedAll, type EmbedOptions } from './operators/ml-embed.js';
export { createPredictor } from './operators/create-predictor.js';
export { predictDeferred, DeferredJobError, type DeferredOptions, type DeferredJobOptions, type DeferredStatus } from './operators/predict-deferred.js';
export { tuneBatchSize, type TuneBatchSizeOptions, type TuneBatchSizeResult, type BatchSizeReport, type LabelledRecord } from './operators/tune-batch-size.js';
export type { Predictor, PredictorHandlers } from './predict/predictor.js';
export type { InferValue } from './operators/infer-value.js';

// Options.
export type { PredictOptions } from './config/options.js';
export type { DottedKey } from './config/option-keys.js';

// Results and errors.
export { PREDICT_ERROR_CODES, PredictError } from './results/result.js';
export type { PredictResult, PredictSuccess, PredictFailure, PredictErrorInfo, PredictErrorCode, PredictMeta, PredictVia } from './results/result.js';
export { ModelCallError, type ModelErrorKind, type ModelCallErrorInit } from './model/errors.js';

// Stats and events.
export { RunStats, type RunEvent, type StatsSnapshot, type TuningSnapshot, type PriceTable } from './metrics/run-stats.js';
export { MODEL_PRICES, priceFor, costOf, type ModelPrice, type PricedUsage } from './cost/price-table.js';
export type { PriceOption } from './cost/run-price.js';
export type { BudgetLimits } from './cost/run-budget.js';
export type * from './results/events.js';

// Models: the contract, the OpenAI-compatible one, defaults, runtimes and quotas.
export type * from './model/model.js';
export type * from './model/quota.js';
export type * from './model/runtime.js';
export { openAIModel, type OpenAIModelOptions } from './providers/openai-model.js';
export { withDefaults } from './config/with-defaults.js';
export { createModelRuntime, type ModelRuntimeOptions } from './resilience/model-runtime.js';
export { localQuota, type LocalQuota, type LocalQuotaOptions } from './resilience/local-quota.js';

// Caching answers across runs.
export { LruCache, type LruCacheOptions } from './cache/lru-cache.js';
export type { AnswerCache } from './cache/answer-cache.js';

// At-least-once sources (Kafka, Redis Streams, queues).
export type * from './source/source.js';
export { runSource, type RunSourceOptions, type SourceRun, type SourceRunStats, type SourceRunState, type SourceResult } from './source/run-source.js';
