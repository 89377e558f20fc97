/**
 * The connection circuit of one model: an endpoint that refuses connections (a
 * wrong port, a dead host, DNS) would otherwise cost every batch its retries and
 * backoff, minutes for a large input. After `threshold` connection failures in a
 * row with no answer in between, calls are refused at once for `cooldownMs`,
 * naming the last failure; then one call is let through (half-open) and an
 * answer closes the circuit, so a long-lived stream resumes by itself.
 */
import { ModelCallError } from '../model/errors.js';
import type { ConnectionCircuit } from '../model/runtime.js';
import { CircuitBreaker } from './circuit-breaker.js';

export interface ConnectionCircuitOptions {
  /** Connection failures in a row that open the circuit. @default 5 */
  threshold?: number;
  /** How long it stays open before one call may try again. @default 30000 */
  cooldownMs?: number;
  now?: () => number;
}

/**
 * @example
 * const circuit = connectionCircuit({ threshold: 3 });
 * const refused = circuit.refusal(); // a ModelCallError while open, else undefined
 */
export function connectionCircuit(options: ConnectionCircuitOptions = {}): ConnectionCircuit {
  const breaker = new CircuitBreaker({ failureThreshold: options.threshold ?? 5, cooldownMs: options.cooldownMs ?? 30_000 }, options.now);
  let failures = 0;
  let last: ModelCallError | undefined;
  return {
    refusal() {
      if (breaker.allow()) return undefined;
      return new ModelCallError(`not sent: the endpoint could not be reached (${failures} connection failures in a row; last: ${last?.message ?? 'unknown'})`, {
        kind: 'circuit_open',
        cause: last,
      });
    },
    recordAnswer() {
      failures = 0;
      breaker.recordSuccess();
    },
    recordInconclusive() {
      breaker.releaseTrial();
    },
    recordConnectionFailure(error) {
      failures++;
      last = error;
      breaker.recordFailure();
    },
  };
}
