export type * from './model/model.js';
export { ModelCallError, isRetryable, isAbortError, type ModelErrorKind, type ModelCallErrorInit } from './model/errors.js';
export * from './predict/result.js';
export { resolveOptions, optionsSchema, RETRY_STRATEGIES, type PredictOptions, type ResolvedOptions, type RetryStrategy } from './config/options.js';
export { DOTTED_KEYS, normalizeKeys } from './config/option-keys.js';
