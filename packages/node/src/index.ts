/**
 * @mlpredict/node — Node stream adapters for mlpredict, with real backpressure.
 * Public exports only. The `mlpredict` CLI is this package's `bin`.
 */
export { createPredictStream, PredictStream, type PredictStreamOptions } from './stream/create-predict-stream.js';
export { fromReadable, type FromReadableOptions } from './iterables/from-readable.js';
export { toAsyncIterable, type ToAsyncIterableOptions } from './iterables/to-async-iterable.js';
