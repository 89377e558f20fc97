/**
 * One Batch API job. Its status is a function of time (from the durations in
 * {@link BatchSettings}), and it moves forward when it is looked at: answering
 * the lines that are due, in input order, and writing the output and error files
 * once it ends. No timers, so nothing to clean up, and where a job stands at a
 * given moment never depends on when someone asked.
 */
import type { SeededRandom } from '../seeded-random.js';
import type { BatchInput, BatchRequestLine } from './batch-input.js';
import type { LineOutcome } from './batch-lines.js';
import type { ResolvedBatchSettings } from './batch-settings.js';
import type { FileStore } from './files-store.js';
import type { SimulatorStats } from './stats.js';

export type BatchStatus = 'validating' | 'failed' | 'in_progress' | 'finalizing' | 'completed' | 'expired' | 'cancelling' | 'cancelled';

/** What a new job is made of. */
export interface BatchJobInit {
  id: string;
  inputFileId: string;
  endpoint: string;
  completionWindow: string;
  metadata: Record<string, string> | null;
  /** Epoch ms. */
  createdAt: number;
  input: BatchInput;
  settings: ResolvedBatchSettings;
  /** Answers line `index` (called once per line, in input order). */
  answer: (line: BatchRequestLine, index: number) => LineOutcome;
  /** Shuffles the output when `settings.outputOrder` is `shuffled`. */
  orderRandom: SeededRandom;
  files: FileStore;
  stats: SimulatorStats;
}

/** Where a job stands at a moment: its status, and the time up to which its lines count as run. */
interface Phase {
  status: BatchStatus;
  /** Lines due at or before this moment have run. */
  cut: number;
  /** When the job entered `status`, for the timestamps. */
  since: number;
}

const NOT_RUN = {
  expired: { code: 'batch_expired', message: 'This request could not be executed before the completion window expired.' },
  cancelled: { code: 'batch_cancelled', message: 'This request was not executed because the batch was cancelled.' },
} as const;

export class BatchJob {
  readonly id: string;
  readonly createdAt: number;
  readonly #init: BatchJobInit;
  readonly #lines: BatchRequestLine[];
  readonly #outcomes: LineOutcome[] = [];
  #cancelledAt: number | undefined;
  #outputFileId: string | null = null;
  #errorFileId: string | null = null;
  #written = false;

  /**
   * @example
   * const job = new BatchJob({ id: 'batch_1', createdAt: Date.now(), input, settings, answer, … });
   * job.view(Date.now()).status; // → 'validating' until settings.validationMs has passed
   */
  constructor(init: BatchJobInit) {
    this.#init = init;
    this.id = init.id;
    this.createdAt = init.createdAt;
    this.#lines = init.input.ok ? init.input.lines : [];
  }

  /** The status at `now`, having answered every line due by then. */
  status(now: number): BatchStatus {
    return this.#advance(now).status;
  }

  /**
   * Asks to cancel at `now`: `started` when the job was running (it goes to
   * `cancelling`, then `cancelled`), `already` when it was being cancelled, and
   * `ended` when it had ended (nothing changes).
   */
  cancel(now: number): 'started' | 'already' | 'ended' {
    const { status } = this.#advance(now);
    if (status === 'cancelling' || status === 'cancelled') return 'already';
    if (status !== 'validating' && status !== 'in_progress' && status !== 'finalizing') return 'ended';
    this.#cancelledAt = now;
    this.#init.stats.batchesCancelled++;
    this.#advance(now);
    return 'started';
  }

  /**
   * The job as the API shows it (OpenAI's `Batch` object) at `now`.
   *
   * @example
   * job.view(Date.now()); // → { id: 'batch_1', object: 'batch', status: 'completed', request_counts: { total: 20, completed: 19, failed: 1 }, output_file_id: 'file-…', … }
   */
  view(now: number) {
    return this.#render(this.#advance(now));
  }

  /** The job as a create answers it: just made, `validating`, nothing run. */
  createdView() {
    return this.#render({ status: 'validating', cut: this.createdAt, since: this.createdAt });
  }

  /** The job as a cancel that started the cancellation answers it: `cancelling`, as OpenAI answers, however short that lasts. */
  cancellingView() {
    return this.#render({ status: 'cancelling', cut: this.#cancelledAt!, since: this.#cancelledAt! });
  }

  #render(phase: Phase) {
    const { input, settings } = this.#init;
    const seconds = (ms: number | undefined) => (ms === undefined ? null : Math.floor(ms / 1000));
    const validatedAt = this.createdAt + settings.validationMs;
    const ran = input.ok && phase.cut >= validatedAt && phase.status !== 'validating';
    const ended = phase.status === 'completed' || phase.status === 'expired' || phase.status === 'cancelled';
    const succeeded = this.#outcomes.filter((o) => o.statusCode === 200);
    const failedRuns = this.#outcomes.length - succeeded.length;
    const notRun = ended ? this.#lines.length - this.#outcomes.length : 0;
    const inputTokens = succeeded.reduce((sum, o) => sum + o.promptTokens, 0);
    const outputTokens = succeeded.reduce((sum, o) => sum + o.completionTokens, 0);
    const at = (status: BatchStatus) => (phase.status === status ? seconds(phase.since) : null);
    return {
      id: this.id,
      object: 'batch' as const,
      endpoint: this.#init.endpoint,
      model: input.ok ? (input.model ?? null) : null,
      errors: input.ok ? null : { object: 'list', data: input.errors },
      input_file_id: this.#init.inputFileId,
      completion_window: this.#init.completionWindow,
      status: phase.status,
      output_file_id: ended ? this.#outputFileId : null,
      error_file_id: ended ? this.#errorFileId : null,
      created_at: seconds(this.createdAt),
      in_progress_at: ran ? seconds(validatedAt) : null,
      expires_at: seconds(this.createdAt + settings.expireAfterMs),
      finalizing_at: phase.status === 'finalizing' || phase.status === 'completed' ? seconds(this.#doneAt()) : null,
      completed_at: at('completed'),
      failed_at: at('failed'),
      expired_at: at('expired'),
      cancelling_at: seconds(this.#cancelledAt),
      cancelled_at: at('cancelled'),
      request_counts: { total: phase.status === 'validating' || !input.ok ? 0 : this.#lines.length, completed: succeeded.length, failed: failedRuns + notRun },
      metadata: this.#init.metadata,
      usage: {
        input_tokens: inputTokens,
        input_tokens_details: { cached_tokens: 0 },
        output_tokens: outputTokens,
        output_tokens_details: { reasoning_tokens: 0 },
        total_tokens: inputTokens + outputTokens,
      },
    };
  }

  /** When the last line is due. */
  #doneAt(): number {
    const { validationMs, completionDelayMs } = this.#init.settings;
    return this.createdAt + validationMs + completionDelayMs;
  }

  /** When line `index` of n is due: the lines finish evenly over `completionDelayMs`. */
  #dueAt(index: number): number {
    const { validationMs, completionDelayMs } = this.#init.settings;
    return this.createdAt + validationMs + (completionDelayMs * (index + 1)) / this.#lines.length;
  }

  #phase(now: number): Phase {
    const { settings, input } = this.#init;
    const validatedAt = this.createdAt + settings.validationMs;
    if (this.#cancelledAt !== undefined) {
      const cancelledAt = this.#cancelledAt + settings.cancellingMs;
      return now < cancelledAt ? { status: 'cancelling', cut: this.#cancelledAt, since: this.#cancelledAt } : { status: 'cancelled', cut: this.#cancelledAt, since: cancelledAt };
    }
    const doneAt = this.#doneAt();
    const expiresAt = this.createdAt + settings.expireAfterMs;
    // A job still short of its end when the window closes expires, whatever phase it is in.
    const endsAt = input.ok ? doneAt : validatedAt;
    if (endsAt > expiresAt && now >= expiresAt) return { status: 'expired', cut: expiresAt, since: expiresAt };
    if (now < validatedAt) return { status: 'validating', cut: now, since: this.createdAt };
    if (!input.ok) return { status: 'failed', cut: validatedAt, since: validatedAt };
    if (now < doneAt) return { status: 'in_progress', cut: now, since: validatedAt };
    const completedAt = doneAt + settings.finalizingMs;
    if (now < completedAt) return { status: 'finalizing', cut: doneAt, since: doneAt };
    return { status: 'completed', cut: doneAt, since: completedAt };
  }

  /** Answers the lines due by the phase's cut, and writes the files once the job has ended. */
  #advance(now: number): Phase {
    const phase = this.#phase(now);
    // Every line is due after validation, so a cut before it runs none.
    while (this.#outcomes.length < this.#lines.length && this.#dueAt(this.#outcomes.length) <= phase.cut) {
      const index = this.#outcomes.length;
      const outcome = this.#init.answer(this.#lines[index]!, index);
      this.#outcomes.push(outcome);
      this.#count(outcome);
    }
    if (!this.#written && (phase.status === 'completed' || phase.status === 'expired' || phase.status === 'cancelled')) this.#writeFiles(phase.status);
    return phase;
  }

  #count(outcome: LineOutcome): void {
    const stats = this.#init.stats;
    if (outcome.statusCode === 200) {
      stats.batchLinesAnswered++;
      stats.batchPromptTokens += outcome.promptTokens;
      stats.batchCompletionTokens += outcome.completionTokens;
    } else stats.batchLinesFailed++;
  }

  /** The output file (200s) and the error file (the rest, and lines never run); each only when it has lines. */
  #writeFiles(status: 'completed' | 'expired' | 'cancelled'): void {
    this.#written = true;
    const { files, stats, settings, orderRandom } = this.#init;
    const lineId = (index: number) => `batch_req_${this.id.replace(/^batch_/, '')}_${index}`;
    const output: string[] = [];
    const errors: string[] = [];
    this.#lines.forEach((line, index) => {
      const outcome = this.#outcomes[index];
      if (outcome === undefined) {
        const reason = status === 'cancelled' ? NOT_RUN.cancelled : NOT_RUN.expired;
        if (status === 'cancelled') stats.batchLinesCancelled++;
        else stats.batchLinesExpired++;
        errors.push(JSON.stringify({ id: lineId(index), custom_id: line.customId, response: null, error: reason }));
        return;
      }
      const response = { status_code: outcome.statusCode, request_id: `req_${this.id.replace(/^batch_/, '')}_${index}`, body: outcome.body };
      (outcome.statusCode === 200 ? output : errors).push(JSON.stringify({ id: lineId(index), custom_id: line.customId, response, error: null }));
    });
    const write = (lines: string[], kind: string) => {
      if (lines.length === 0) return null;
      if (settings.outputOrder === 'shuffled') shuffle(lines, orderRandom);
      return files.add(Buffer.from(`${lines.join('\n')}\n`), `${this.id}_${kind}.jsonl`, 'batch_output').id;
    };
    this.#outputFileId = write(output, 'output');
    this.#errorFileId = write(errors, 'error');
  }
}

function shuffle<T>(items: T[], random: SeededRandom): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = random.int(0, i);
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
}
