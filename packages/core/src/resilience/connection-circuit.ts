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
import { abortReason } from './abortable-sleep.js';
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
 * const refused = await circuit.admit(signal); // a ModelCallError while open, else undefined
 */
export function connectionCircuit(options: ConnectionCircuitOptions = {}): ConnectionCircuit {
  const breaker = new CircuitBreaker({ failureThreshold: options.threshold ?? 5, cooldownMs: options.cooldownMs ?? 30_000 }, options.now);
  let failures = 0;
  let last: ModelCallError | undefined;
  /** While a half-open trial is out: resolves when it ends, whichever way. */
  let trial: { ended: Promise<void>; end: () => void } | undefined;
  const endTrial = () => {
    trial?.end();
    trial = undefined;
  };
  const refusal = () =>
    new ModelCallError(`not sent: the endpoint could not be reached (${failures} connection failures in a row; last: ${last?.message ?? 'unknown'})`, {
      kind: 'circuit_open',
      cause: last,
    });
  return {
    async admit(signal) {
      for (;;) {
        if (signal?.aborted) throw abortReason(signal);
        if (trial) {
          await untilEndedOrAborted(trial.ended, signal);
          continue;
        }
        const state = breaker.state;
        if (state === 'closed') return undefined;
        if (!breaker.allow()) return refusal();
        if (state === 'half-open') {
          let end!: () => void;
          trial = { ended: new Promise<void>((resolve) => (end = resolve)), end };
        }
        return undefined;
      }
    },
    recordAnswer() {
      failures = 0;
      breaker.recordSuccess();
      endTrial();
    },
    recordInconclusive() {
      breaker.releaseTrial();
      endTrial();
    },
    recordConnectionFailure(error) {
      failures++;
      last = error;
      breaker.recordFailure();
      endTrial();
    },
  };
}

function untilEndedOrAborted(ended: Promise<void>, signal?: AbortSignal): Promise<void> {
  if (!signal) return ended;
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => reject(abortReason(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    void ended.then(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    });
  });
}
