/**
 * A downloaded job's outcomes as kept in the job folder: plain JSON, one line
 * per request, so a run resumed after the download needs the provider no more
 * (its output files may have been deleted by then).
 */
import type { BatchLineOutcome, CompletionResponse } from '../model/model.js';
import { ModelCallError, type ModelErrorKind } from '../model/errors.js';

export type StoredOutcome =
  | { id: string; ok: true; response: CompletionResponse }
  | { id: string; ok: false; reason: 'error' | 'expired' | 'cancelled'; error: { message: string; kind: ModelErrorKind; status?: number; code?: string } };

/**
 * @example
 * await writeJsonLines(path, outcomes.map(toStoredOutcome));
 */
export function toStoredOutcome(outcome: BatchLineOutcome): StoredOutcome {
  if (outcome.ok) return outcome;
  const { message, kind, status } = outcome.error;
  const code = (outcome.error.cause as { code?: unknown } | undefined)?.code;
  return { id: outcome.id, ok: false, reason: outcome.reason, error: { message, kind, ...(status !== undefined && { status }), ...(typeof code === 'string' && { code }) } };
}

/**
 * @example
 * const outcomes = (await readJsonLines<StoredOutcome>(path)).map(fromStoredOutcome);
 */
export function fromStoredOutcome(stored: StoredOutcome): BatchLineOutcome {
  if (stored.ok) return stored;
  const { message, kind, status, code } = stored.error;
  return { id: stored.id, ok: false, reason: stored.reason, error: new ModelCallError(message, { kind, status, ...(code !== undefined && { cause: { code } }) }) };
}
