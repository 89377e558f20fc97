/**
 * What one output entry holds: the input entry's id and the result as JSON,
 * `{"value": …}` or `{"error": {"code", "message"}}`.
 */

/** The part of a result the sink writes; a core `PredictResult` fits. */
export interface StreamResult {
  value?: unknown;
  error?: { code: string; message: string };
}

/** Output entry fields. */
export const INPUT_ID_FIELD = 'input_id';
export const RESULT_FIELD = 'result';

/**
 * The `result` field's JSON. A value JSON can't hold (a BigInt, a cycle) becomes
 * an error result saying so, as the Kafka pipeline does, rather than failing the
 * whole write; a result with neither value nor error is a bug and throws.
 *
 * @example
 * encodeResult({ value: 'positive' })                                   // → '{"value":"positive"}'
 * encodeResult({ error: { code: 'missing', message: 'no answer' } })    // → '{"error":{"code":"missing","message":"no answer"}}'
 */
export function encodeResult(result: StreamResult): string {
  if (result.error) return JSON.stringify({ error: { code: result.error.code, message: result.error.message } });
  if (!('value' in result)) throw new TypeError('a result needs a value or an error (got neither)');
  // JSON has no undefined: {"value": undefined} would be written as {}, which reads as neither.
  if (result.value === undefined) return '{"value":null}';
  try {
    return JSON.stringify({ value: result.value });
  } catch (error) {
    const message = (error as { message?: unknown }).message;
    return JSON.stringify({ error: { code: 'bad_input', message: `encode failed: ${typeof message === 'string' ? message : String(error)}` } });
  }
}
