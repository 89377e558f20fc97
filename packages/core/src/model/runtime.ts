/**
 * What belongs to a model while it runs, shared by every pipeline, task and
 * worker that uses it: its quota (the provider's allowance and the pause after a
 * 429), its connection circuit, and what it was found to accept. An object made
 * with the model (`openAIModel` makes one; `createModelRuntime` makes one for any
 * model) that a user can hold, share between models or replace. Types only.
 */
import type { ModelCallError } from './errors.js';
import type { Quota } from './quota.js';

/**
 * Stops calls to an endpoint that cannot be reached: after consecutive connection
 * failures with no answer in between it opens, refusing calls at once (with the
 * last failure named), and after a cool-down lets one call through to try again
 * while the others wait for how it went.
 */
export interface ConnectionCircuit {
  /**
   * Resolves undefined when a call may go, or with the error to fail it with
   * (open); while a trial call is out, waits for its outcome. Rejects when
   * `signal` aborts.
   */
  admit(signal?: AbortSignal): Promise<ModelCallError | undefined>;
  /** The endpoint answered (any HTTP status): the connection works. */
  recordAnswer(): void;
  /** The call ended without telling (aborted, timed out): a trial call may be made again. */
  recordInconclusive(): void;
  /** The connection failed (refused, reset, DNS). */
  recordConnectionFailure(error: ModelCallError): void;
}

/** Structured-output modes, strongest first; `'auto'` steps down the first time an endpoint refuses one. */
export type StructuredOutputMode = 'json_schema' | 'json_object' | 'off';

export interface ModelRuntime {
  readonly quota: Quota;
  readonly circuit: ConnectionCircuit;
  /** The strongest structured-output mode this endpoint accepted, once learned. */
  structuredOutput?: StructuredOutputMode;
}
