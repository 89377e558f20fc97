/**
 * The slices of a run's options that the engine (predict/) reads, resolved once.
 * The stages below it define their own (`BatchingSettings` in batching/,
 * `PromptSettings` in prompt/, `CallSettings` in resilience/).
 */
import type { StandardSchemaV1 } from '@standard-schema/spec';
import type { SchedulerLike } from 'rxjs';
import type { AnswerCache } from '../cache/answer-cache.js';
import type { RunStats } from '../metrics/run-stats.js';
import type { StructuredOutputMode } from '../model/runtime.js';
import type { BatchEvent, TuneEvent } from '../results/events.js';
import type { AnswerReadOptions, ResponseFormat } from '../formats/response-format.js';
import type { CallHooks } from '../resilience/call-settings.js';

/** Concurrency, ordering and cancellation of a run. */
export interface FlowSettings {
  /** Batches in flight; with `autoConcurrency`, where the run starts. */
  concurrency: number;
  /** `concurrency: 'auto'`: the run tunes it (see tuning/). */
  autoConcurrency?: boolean;
  ordered: boolean;
  /** Results held back behind a slow earlier batch, at most (ordered runs). */
  reorderWindow: number;
  adaptiveConcurrency: boolean;
  /** Per record, from admission to result. */
  deadlineMs?: number;
  signal?: AbortSignal;
  scheduler?: SchedulerLike;
}

/** How answers are read and checked. */
export interface ParseSettings {
  format: ResponseFormat<any>;
  /** What the reader is told: index and value fields plus the format's own options. */
  read: AnswerReadOptions & Record<string, unknown>;
  indexBase: number;
  structuredOutput: StructuredOutputMode | 'auto';
  valueSchema?: StandardSchemaV1;
  /** The value's JSON Schema, when the schema has one (for provider-side structured output). */
  valueJsonSchema?: Record<string, unknown>;
  maxTokens?: number;
  temperature: number;
}

/** How a batch that went wrong is repaired. */
export interface RepairSettings {
  fallback: 'single' | 'none';
  circuitBreaker: false | { failureThreshold: number; cooldownMs: number };
  votes: number;
}

/** What the run reports, and how it treats record errors. */
export interface OutputSettings extends CallHooks {
  onError: 'emit' | 'throw';
  onBatch?: (event: BatchEvent) => void;
  /** Each self-tuning decision (`batchSize` / `concurrency` `'auto'`). */
  onTune?: (event: TuneEvent) => void;
  stats?: RunStats;
}

export type CacheSettings = AnswerCache | undefined;
