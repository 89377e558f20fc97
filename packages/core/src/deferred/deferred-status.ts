/**
 * What `predictDeferred` tells `onStatus` as it works: for progress lines and
 * logs of runs that may last hours.
 */
import type { BatchJobInfo } from '../model/model.js';

export interface DeferredStatus {
  /**
   * What just happened: a round `planned` (its request lines written), a job
   * `submitted` (or found again after a restart), `polled` (its status or counts
   * moved), `downloaded`, `cancelled` (the signal aborted), records sent to
   * real-time `repairing`, or the run `done`.
   */
  step: 'planned' | 'submitted' | 'polled' | 'downloaded' | 'cancelled' | 'repairing' | 'done';
  /** 0 for the first jobs; 1, 2, … for follow-up jobs over the records they left unanswered (`repair: 'deferred'`). */
  round: number;
  /** Which job of its round (a round is split into jobs at the provider's limits), and how many it has. */
  part?: number;
  parts?: number;
  /** The job as the provider last reported it. */
  job?: BatchJobInfo;
  /** Records the step is about: planned into the round, or sent to repair. */
  records?: number;
  /** With `planned`: records left out of the round because the run's `budget` does not cover them (they get the `budget` error). */
  overBudget?: number;
}
