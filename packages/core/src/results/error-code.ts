/**
 * The one map from a failed model call to a record's error: its closed code, a
 * message that says what the server said (with the status), and the status.
 * Operators, the executor and the deferred path all settle failures through it.
 */
import type { ModelCallError } from '../model/errors.js';
import type { PredictErrorCode, PredictErrorInfo } from './result.js';

const CODE_OF_KIND: Record<ModelCallError['kind'], PredictErrorCode> = {
  http: 'http',
  network: 'http',
  rate_limited: 'rate_limited',
  timeout: 'timeout',
  aborted: 'aborted',
  context_length: 'too_large',
  circuit_open: 'circuit_open',
  budget: 'budget',
};

/**
 * @example
 * errorInfoOf(new ModelCallError('Incorrect API key provided', { kind: 'http', status: 401 }))
 * // → { code: 'http', message: 'HTTP 401: Incorrect API key provided', status: 401 }
 */
export function errorInfoOf(error: ModelCallError): Omit<PredictErrorInfo, 'attempts'> {
  const code = CODE_OF_KIND[error.kind];
  const message = error.status === undefined || error.message.startsWith(`HTTP ${error.status}`) ? error.message : `HTTP ${error.status}: ${error.message}`;
  const info: Omit<PredictErrorInfo, 'attempts'> = error.status === undefined ? { code, message } : { code, message, status: error.status };
  // Refused by the connection circuit, or connections that kept failing through every retry.
  if (error.kind === 'circuit_open' || error.kind === 'network') info.unreachable = true;
  return info;
}
