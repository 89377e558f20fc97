/**
 * `predictDeferred`'s options: the operators' own (template, batch size, format,
 * schema, …) plus the job's (`jobDir`, polling, window, repair mode), validated
 * together so one message names every bad option.
 */
import { z } from 'zod';
import type { BatchLimits, Model } from '../model/model.js';
import { callback, flag, givenOptions, numeric, optionsSchema, OPTION_NAMES, resolveOptions, type PredictOptions, type ResolvedOptions } from '../config/options.js';
import { DOTTED_KEYS } from '../config/option-keys.js';
import { formatOptionIssues } from '../config/format-issues.js';
import type { DeferredStatus } from './deferred-status.js';

/** The options only `predictDeferred` takes. */
export interface DeferredJobOptions {
  /** A folder for the manifest and the job's files (made if missing). The same folder resumes the same job. */
  jobDir: string;
  /** The first wait between polls; it grows by half while nothing moves, up to 8×. @default 15000 */
  pollIntervalMs?: number;
  /** How long the provider may take, in its words. @default '24h' (OpenAI's only window) */
  completionWindow?: string;
  /** Told each step: planned, submitted, polled (status or counts moved), downloaded, cancelled, repairing, done. */
  onStatus?: (status: DeferredStatus) => void;
  /**
   * How records the job left unanswered (failed, expired or unreadable lines,
   * records an answer left out) are asked again: `realtime` calls (fast, full
   * price) or follow-up jobs (`deferred`: half price, each may take up to the window).
   * @default 'realtime'
   */
  repair?: 'realtime' | 'deferred';
  /** Lower the provider's per-job limits (e.g. for an Azure deployment's quota); more requests go into more jobs. */
  jobLimits?: Partial<BatchLimits>;
  /**
   * What `signal` does to the provider's jobs: cancel them (`true`), or leave
   * them running (`false`), so that the same call on the same `jobDir` later
   * picks them up where they are — the CLI's Ctrl-C.
   * @default true
   */
  cancelOnAbort?: boolean;
}

/** Everything `predictDeferred` accepts. */
export type DeferredOptions = PredictOptions & DeferredJobOptions;

/** The job's options, resolved. */
export interface DeferredSettings {
  jobDir: string;
  pollIntervalMs: number;
  completionWindow: string;
  onStatus?: (status: DeferredStatus) => void;
  repair: 'realtime' | 'deferred';
  jobLimits: Partial<BatchLimits>;
  cancelOnAbort: boolean;
}

const deferredShape = {
  jobDir: z.string().min(1),
  pollIntervalMs: numeric(z.number().int().min(1)).default(15_000),
  completionWindow: z.string().min(1).default('24h'),
  onStatus: callback<(status: DeferredStatus) => void>('onStatus').optional(),
  repair: z.enum(['realtime', 'deferred']).default('realtime'),
  jobLimits: z.strictObject({ maxRequests: numeric(z.number().int().min(1)).optional(), maxBytes: numeric(z.number().int().min(2)).optional() }).default({}),
  cancelOnAbort: flag().default(true),
};

const DEFERRED_NAMES = Object.keys(deferredShape);
const allSchema = z.strictObject({ ...optionsSchema.shape, ...deferredShape });

/**
 * Validates everything at once and splits it: the run's resolved slices, the
 * job's settings, and the options as given (for the job folder's fingerprint).
 * Throws a `TypeError` naming each bad option.
 *
 * @example
 * const { resolved, deferred } = resolveDeferredOptions({ jobDir: './jobs/june', valueField: 'sentiment' }, model);
 */
export function resolveDeferredOptions(options: DeferredOptions, model: Model): { resolved: ResolvedOptions; deferred: DeferredSettings; given: Record<string, unknown> } {
  if (options === null || typeof options !== 'object' || typeof (options as { jobDir?: unknown }).jobDir !== 'string' || options.jobDir === '') {
    throw new TypeError('predictDeferred: option "jobDir" is required: a folder for the job\'s manifest and files, e.g. { jobDir: "./jobs/backfill-june" } (the same folder resumes the same job)');
  }
  const given = givenOptions(options, model);
  const parsed = allSchema.safeParse(given, { reportInput: true });
  if (!parsed.success) throw new TypeError(formatOptionIssues('predictDeferred', parsed.error.issues, [...OPTION_NAMES, ...DEFERRED_NAMES, ...Object.keys(DOTTED_KEYS)]));
  const o = parsed.data;
  if (o.votes > 1) throw new TypeError('predictDeferred: option "votes" is not supported: a job sends each batch once; use votes with mlPredict or predictAll');
  if (o.cache !== false) throw new TypeError('predictDeferred: option "cache" is not supported: the job folder keeps every answer; leave cache out');
  if (o.deadlineMs !== undefined) throw new TypeError('predictDeferred: option "deadlineMs" is not supported: a job answers within its completionWindow; cancel with signal instead');
  if (o.budget !== undefined && o.maxTokens === undefined) {
    // A job is planned whole before any answer exists: only a bound on each answer keeps it within the budget.
    throw new TypeError(
      'predictDeferred: option "budget" needs "maxTokens" (the most completion tokens a request may use): the whole job is planned before any answer ' +
        'exists, so without that bound longer answers than guessed would spend past the budget. Give maxTokens (e.g. about 20 × the batch size ' +
        'for short labels), or leave the budget out',
    );
  }

  const rest: Record<string, unknown> = { ...(options as unknown as Record<string, unknown>) };
  for (const name of DEFERRED_NAMES) delete rest[name];
  const deferred: DeferredSettings = {
    jobDir: o.jobDir,
    pollIntervalMs: o.pollIntervalMs,
    completionWindow: o.completionWindow,
    onStatus: o.onStatus,
    repair: o.repair,
    jobLimits: Object.fromEntries(Object.entries(o.jobLimits).filter(([, v]) => v !== undefined)),
    cancelOnAbort: o.cancelOnAbort,
  };
  return { resolved: resolveOptions(rest as PredictOptions, model, 'predictDeferred'), deferred, given };
}
