/**
 * What the operators emit: one {@link PredictResult} per input, with its value or
 * its error, never both, never neither.
 */
import type { TokenUsage } from '../model/model.js';

/**
 * The closed list of per-record error codes.
 *
 * - `parse`: the model's answers for this record could not be read.
 * - `missing`: the model kept leaving this record out, after repair.
 * - `timeout`: the request (or the record's `deadlineMs`) ran out of time.
 * - `rate_limited`: 429s outlasted the retries.
 * - `http`: the endpoint refused the request (see `status`).
 * - `schema`: the answer failed `valueSchema`.
 * - `aborted`: the run was cancelled before this record was answered.
 * - `circuit_open`: fallback calls were refused because batches kept failing.
 * - `too_large`: the record alone does not fit the context window.
 * - `bad_input`: the record could not be read or rendered (e.g. a malformed CSV/JSONL line).
 * - `budget`: the run's `budget` was spent before this record was answered; nothing more was sent.
 */
export type PredictErrorCode =
  | 'parse'
  | 'missing'
  | 'timeout'
  | 'rate_limited'
  | 'http'
  | 'schema'
  | 'aborted'
  | 'circuit_open'
  | 'too_large'
  | 'bad_input'
  | 'budget';

/** All error codes, for validation and docs. */
export const PREDICT_ERROR_CODES: readonly PredictErrorCode[] = [
  'parse',
  'missing',
  'timeout',
  'rate_limited',
  'http',
  'schema',
  'aborted',
  'circuit_open',
  'too_large',
  'bad_input',
  'budget',
];

/** A record's error, as data. */
export interface PredictErrorInfo {
  code: PredictErrorCode;
  message: string;
  /** How many requests carried this record. */
  attempts: number;
  /** HTTP status, for `http` and `rate_limited`. */
  status?: number;
  /**
   * Set when an error that cannot heal (a bad API key, an unknown model or route)
   * stopped the whole run: this record was not (or no longer) asked.
   */
  fatal?: true;
  /**
   * Set when the endpoint could not be reached: connections kept failing through
   * every retry, or the model's connection circuit refused the call. A stream goes
   * on and half-opens later; a batch job (the CLI) stops here, to be resumed once
   * the endpoint is back.
   */
  unreachable?: true;
}

/** How the record's value was obtained. */
export type PredictVia = 'batch' | 'single' | 'cache';

export interface PredictMeta {
  /** The batch the record was first sent in (0-based, per run). */
  batchId: number;
  /** Requests that carried this record, retries and repairs included. */
  attempts: number;
  /** 'batch' when answered in a request with other records, 'single' when alone, 'cache' from the cache. */
  via: PredictVia;
  /** Repair rounds this record needed (asked again, split, fallback); 0 when the first answer was good. */
  repairs: number;
  /** From the record entering its first request to its result. */
  latencyMs: number;
  /** Tokens of the answering request, apportioned evenly over its records. */
  usage?: TokenUsage;
  /**
   * USD for `usage` at the run's price (the `price` option, else the price table's;
   * a `predictDeferred` line at the Batch API's discount). Absent when the price is unknown.
   */
  costUsd?: number;
}

interface PredictResultBase<TIn, TKey> {
  input: TIn;
  /** The input's 0-based position in its run. */
  seq: number;
  /** What the input was submitted with (`createPredictor`'s `submit(record, key)`); `seq` for the operators. */
  key: TKey;
  meta: PredictMeta;
}

/** A record answered: `ok` is true and `value` holds its answer. */
export interface PredictSuccess<TIn = unknown, TValue = unknown, TKey = number> extends PredictResultBase<TIn, TKey> {
  ok: true;
  value: TValue;
  error?: undefined;
}

/** A record that ended with an error: `ok` is false and `error` says why. */
export interface PredictFailure<TIn = unknown, TKey = number> extends PredictResultBase<TIn, TKey> {
  ok: false;
  value?: undefined;
  error: PredictErrorInfo;
}

/**
 * One input's outcome: exactly one of `value` / `error`, told apart by `ok`
 * (the discriminator every result shape of mlpredict shares).
 */
export type PredictResult<TIn = unknown, TValue = unknown, TKey = number> = PredictSuccess<TIn, TValue, TKey> | PredictFailure<TIn, TKey>;

/**
 * Thrown (as a stream error) only with `onError: 'throw'`, carrying the failed result.
 *
 * @example
 * records$.pipe(mlPredict(model, { onError: 'throw' })).subscribe({
 *   error: (e) => e instanceof PredictError && console.error(e.result.error),
 * });
 */
const MARKER = Symbol.for('mlpredict.PredictError');

export class PredictError<TIn = unknown> extends Error {
  override readonly name = 'PredictError';
  readonly [MARKER] = true;
  readonly code: PredictErrorCode;
  constructor(readonly result: PredictFailure<TIn, unknown>) {
    super(`record ${result.seq}: ${result.error.code}: ${result.error.message}`);
    this.code = result.error.code;
  }

  /**
   * True for a `PredictError` from any copy of mlpredict, where `instanceof`
   * would say false (two installed versions, a bundle).
   *
   * @example
   * records$.pipe(mlPredict(model, { onError: 'throw' })).subscribe({ error: (e) => PredictError.isInstance(e) && console.error(e.code) });
   */
  static isInstance(value: unknown): value is PredictError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[MARKER] === true;
  }
}
