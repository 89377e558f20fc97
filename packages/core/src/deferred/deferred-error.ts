/**
 * The error `predictDeferred` rejects with when the Batch API itself can't be
 * used (a refused upload, a key without batch access, an endpoint without
 * `/v1/batches`) or the job folder can't be: records get no result then, since
 * the job may still run. The folder keeps every step done, so running again
 * with the same `jobDir` resumes.
 */
import type { ModelCallError } from '../model/errors.js';
import { errorInfoOf } from '../results/error-code.js';

export class DeferredJobError extends Error {
  override readonly name = 'DeferredJobError';
  /**
   * @example
   * throw new DeferredJobError('could not submit job 0 of round 0', '/data/jobs/backfill', error);
   */
  constructor(
    what: string,
    readonly jobDir: string,
    readonly modelError?: ModelCallError,
  ) {
    super(`predictDeferred: ${what}${modelError ? `: ${errorInfoOf(modelError).message}` : ''}. The job folder ${jobDir} keeps what was done; run again with the same jobDir to resume`, modelError ? { cause: modelError } : undefined);
  }
}
