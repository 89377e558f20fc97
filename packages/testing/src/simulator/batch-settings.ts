/**
 * How the simulated Batch API behaves: how long a job takes in each status, how
 * many of its lines fail, when it expires, and OpenAI's limits on input files.
 */

/** The `batch` option. Every duration is in ms and defaults to 0 unless said. */
export interface BatchSettings {
  /** How long a new batch stays `validating`. */
  validationMs?: number;
  /**
   * How long `in_progress` lasts: line i of n is answered at
   * `validationMs + completionDelayMs·(i + 1)/n` after creation, so a job can be
   * killed, resumed, cancelled or expired half done.
   */
  completionDelayMs?: number;
  /** How long `finalizing` lasts, after the last line and before `completed`. */
  finalizingMs?: number;
  /** How long `cancelling` lasts before `cancelled`. */
  cancellingMs?: number;
  /** From creation until a job with lines still to answer expires (default 24 h, the `24h` completion window). */
  expireAfterMs?: number;
  /** Probability (0..1) that a line fails with an HTTP 500 line in the error file (seeded; default 0). */
  failedLineRate?: number;
  /** Requests allowed in one input file (default 50,000, OpenAI's); more fails the job with `too_many_tasks`. */
  maxRequestsPerFile?: number;
  /** Bytes allowed in a file uploaded with purpose `batch` (default 200,000,000, OpenAI's 200 MB); more → 400. */
  maxFileBytes?: number;
  /** Order of the output file's lines: `shuffled` (default; OpenAI promises no order) or `input`. */
  outputOrder?: 'shuffled' | 'input';
  /**
   * The clock jobs run on, in epoch ms (default `Date.now`). A test can pass its
   * own to step a job through its statuses, or past its expiry, without waiting.
   */
  clock?: () => number;
}

export type ResolvedBatchSettings = Required<BatchSettings>;

export const DEFAULT_BATCH_SETTINGS: ResolvedBatchSettings = {
  validationMs: 0,
  completionDelayMs: 0,
  finalizingMs: 0,
  cancellingMs: 0,
  expireAfterMs: 24 * 60 * 60 * 1000,
  failedLineRate: 0,
  maxRequestsPerFile: 50_000,
  maxFileBytes: 200_000_000,
  outputOrder: 'shuffled',
  clock: () => Date.now(),
};

/** The keys of {@link BatchSettings}, to catch typos. */
export const BATCH_SETTING_NAMES = Object.keys(DEFAULT_BATCH_SETTINGS) as ReadonlyArray<keyof BatchSettings>;
