/**
 * The manifest: what a deferred run has done, in its job folder, rewritten
 * atomically before each step. A run started again on the same folder reads it
 * and carries on from the step it names — a part being submitted is looked up
 * by its tag before anything is sent again, a created job is polled, not made
 * again — so a job is never submitted twice.
 */
import { randomUUID } from 'node:crypto';
import type { BatchJobStatus } from '../model/model.js';
import type { Fingerprint } from './fingerprint.js';
import { inJobDir, readJsonIfExists, writeFileAtomic } from './job-dir-files.js';

export const MANIFEST_FILE = 'manifest.json';
export const MANIFEST_VERSION = 1;

/**
 * A part's steps. `submitting` is written before the provider is asked to make
 * the job: a process killed then may or may not have made it, so the next run
 * asks the provider for a job with the part's tag before submitting.
 */
export type PartStep = 'planned' | 'submitting' | 'created' | 'downloaded';

/** The whole run's step: the least advanced part of its last round, then `repaired` once every record has its result. */
export type ManifestStep = PartStep | 'repaired';

/** One provider job: a slice of its round's request lines. */
export interface ManifestPart {
  /** Lines `[first, end)` of the round's requests file. */
  first: number;
  end: number;
  bytes: number;
  /** Unique to this part of this run; kept with the job so it can be found again. */
  tag: string;
  step: PartStep;
  /** Epoch ms, set with `submitting`: the provider is searched for jobs made since then. */
  submittingAt?: number;
  jobId?: string;
  status?: BatchJobStatus;
  /** Why the job failed as a whole, when it did. */
  errors?: string[];
  /** The outcomes file, once downloaded. */
  outcomesFile?: string;
  /** A cancel was sent (the run's signal aborted). */
  cancelRequested?: boolean;
}

/** The first job(s) (round 0), or a follow-up for the records they left unanswered (`repair: 'deferred'`). */
export interface ManifestRound {
  round: number;
  /** `{ id, seqs }` per request line: which records each line carries. */
  groupsFile: string;
  /** The provider's request lines, as submitted. */
  requestsFile: string;
  lines: number;
  parts: ManifestPart[];
  /**
   * Groups the run's `budget` did not cover, left out of the round (in `file`, as
   * `{ id, seqs }` lines): their records settle with the `budget` error and `message`.
   */
  overBudget?: { file: string; records: number; message: string };
}

export interface Manifest {
  version: number;
  kind: 'mlpredict.predictDeferred';
  runId: string;
  model: string;
  records: number;
  fingerprint: Fingerprint;
  createdAt: string;
  step: ManifestStep;
  rounds: ManifestRound[];
  /** Every record's result, once `repaired`. */
  resultsFile?: string;
}

/**
 * @example
 * const manifest = newManifest('openai:gpt-4o-mini', records.length, fingerprintOf(model, records, given));
 */
export function newManifest(model: string, records: number, fingerprint: Fingerprint): Manifest {
  return { version: MANIFEST_VERSION, kind: 'mlpredict.predictDeferred', runId: randomUUID(), model, records, fingerprint, createdAt: new Date().toISOString(), step: 'planned', rounds: [] };
}

/**
 * The folder's manifest, or undefined for a new folder. Throws when the file is
 * not a manifest this version can read.
 */
export async function readManifest(jobDir: string): Promise<Manifest | undefined> {
  const path = inJobDir(jobDir, MANIFEST_FILE);
  let manifest: Manifest | undefined;
  try {
    manifest = await readJsonIfExists<Manifest>(path);
  } catch (error) {
    throw new Error(`predictDeferred: ${path} is not valid JSON (${error instanceof Error ? error.message : String(error)}); it was not written by predictDeferred`);
  }
  if (manifest === undefined) return undefined;
  if (manifest.kind !== 'mlpredict.predictDeferred' || manifest.version !== MANIFEST_VERSION) {
    throw new Error(`predictDeferred: ${path} is not a manifest this version of mlpredict can resume (kind ${String(manifest.kind)}, version ${String(manifest.version)})`);
  }
  return manifest;
}

/** Writes the manifest atomically, with its overall step brought up to date. */
export async function saveManifest(jobDir: string, manifest: Manifest): Promise<void> {
  if (manifest.step !== 'repaired') manifest.step = overallStep(manifest);
  await writeFileAtomic(inJobDir(jobDir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
}

const ORDER: readonly PartStep[] = ['planned', 'submitting', 'created', 'downloaded'];

function overallStep(manifest: Manifest): ManifestStep {
  const parts = manifest.rounds.at(-1)?.parts ?? [];
  if (parts.length === 0) return 'planned';
  return ORDER[Math.min(...parts.map((p) => ORDER.indexOf(p.step)))]!;
}
