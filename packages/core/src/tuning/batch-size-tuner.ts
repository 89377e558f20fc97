/**
 * `batchSize: 'auto'`: the size batches are cut to, found while the run goes.
 * Fewer, larger requests are cheaper, so it starts at the quality cap
 * (`maxBatchSize`) and shrinks only when the run shows it should:
 *
 * - **context**: a prompt overflowed the model's window. The server's message
 *   usually says the window and its count of the prompt, which gives a token
 *   budget at once; otherwise the budget is searched between the largest batch
 *   that fitted and the smallest that didn't. A batch known to overflow is never
 *   cut again. `maxPromptTokens`, when the model states it, bounds it from the
 *   start.
 * - **answers**: two batch answers in a row at this size came back cut off
 *   (`finish_reason: length`) or unreadable. A cut-off one shows how many records
 *   an answer can hold, and the size stays under that; an unreadable one halves
 *   the size, and good answers bring it back up toward the cap.
 * - **timing**: the time per record at a smaller size is clearly lower (a
 *   server whose time grows faster than the batch). Sizes are timed as they
 *   occur, and one batch in `probeEvery` goes out at another size to time it.
 */
import type { TuneEvent } from '../results/events.js';
import { readContextOverflow } from './context-overflow.js';

export interface BatchSizeTunerOptions {
  /** The quality cap (`maxBatchSize`): batches never hold more. */
  cap: number;
  /** The user's `maxBatchTokens`, if given: a budget the tuner never raises. */
  maxTokens?: number;
  /** The model's context window (`maxPromptTokens`), when known. */
  contextTokens?: number;
  /** The answer's budget sent as `max_tokens`, which the window must also hold. */
  completionTokens?: number;
  /** With `contextTokens`: what a prompt spends besides its records (system prompt, instructions), estimated before the first request. */
  instructionTokens?: number;
  /** One batch in this many goes out at another size to time it (0: never). */
  probeEvery?: number;
}

/** What one request of a batch (or of its repair) came back with. */
export interface AnswerSample {
  records: number;
  /** The records' token estimates, summed: the measure batches are cut by. */
  recordTokens: number;
  /** The request's prompt estimate (records plus instructions). */
  promptTokens: number;
  outcome: 'answered' | 'unreadable' | 'truncated' | 'overflow';
  /** Records that got a value. */
  answered: number;
  /** The overflow error's message, for the server's numbers. */
  message?: string;
}

/** One request's time, from sending to its answer (waits excluded). */
export interface TimingSample {
  records: number;
  latencyMs: number;
}

export type BatchDecision = TuneEvent & { setting: 'batchSize' | 'maxBatchTokens' };

/** Consecutive bad answers at the current size that make it shrink. */
const BAD_IN_A_ROW = 2;
/** Good answers at the current size before it grows a step back toward the cap. */
const GOOD_TO_GROW = 8;
/** Good answers after which an unreadable-answers ceiling is forgotten. */
const GOOD_TO_FORGET = 32;
/** Another size wins on timing only when its time per record is this much lower. */
const TIMING_MARGIN = 1.15;
/** Samples at a size before its timing is trusted. */
const TIMED_ENOUGH = 3;
/** Below the budget the server's numbers give: our estimate and its tokenizer differ. */
const CONTEXT_SAFETY = 0.95;

interface Timed {
  msPerRecord: number;
  samples: number;
}

export class BatchSizeTuner {
  readonly #cap: number;
  readonly #userMaxTokens?: number;
  readonly #contextTokens?: number;
  readonly #completionTokens: number;
  readonly #probeEvery: number;
  #size: number;
  /** The learned token budget (context), if any. */
  #contextBudget?: number;
  /** Largest record-token sum answered without overflow, and smallest that overflowed. */
  #fitted = 0;
  #overflowed = Infinity;
  /** Records an answer was seen to hold before it was cut off. */
  #outputCeiling = Infinity;
  /** The size answers failed at, until enough good answers forget it. */
  #answerCeiling = Infinity;
  #badInARow = 0;
  #goodInARow = 0;
  #goodSinceFailure = 0;
  readonly #timing = new Map<number, Timed>();
  #batches = 0;
  #probeDown = false;
  /** The budget came from the server's own numbers, not from a search. */
  #budgetFromServer = false;

  /**
   * @example
   * const tuner = new BatchSizeTuner({ cap: 50 });
   * tuner.onAnswer({ records: 50, recordTokens: 4000, promptTokens: 4100, outcome: 'overflow', answered: 0,
   *   message: "This model's maximum context length is 3000 tokens. However, your messages resulted in 4100 tokens." });
   * tuner.maxTokens; // → 2755: ((3000 − 0) × 4100/4100 − 100) × 0.95
   */
  constructor(options: BatchSizeTunerOptions) {
    this.#cap = options.cap;
    this.#size = options.cap;
    this.#userMaxTokens = options.maxTokens;
    this.#contextTokens = options.contextTokens;
    this.#completionTokens = options.completionTokens ?? 0;
    this.#probeEvery = options.probeEvery ?? 50;
    if (this.#contextTokens !== undefined) {
      this.#contextBudget = Math.max(1, Math.floor((this.#contextTokens - this.#completionTokens - (options.instructionTokens ?? 0)) * CONTEXT_SAFETY));
    }
  }

  /** The size batches are cut to now. */
  get size(): number {
    return this.#size;
  }

  /** The token budget batches are cut to now: the user's or the learned one, whichever is smaller. */
  get maxTokens(): number | undefined {
    const budgets = [this.#userMaxTokens, this.#contextBudget].filter((b): b is number => b !== undefined);
    return budgets.length === 0 ? undefined : Math.min(...budgets);
  }

  /** The size the next batch should be cut to: one in `probeEvery` is a timing probe at half or twice the size. */
  nextSize(): number {
    if (this.#probeEvery <= 0 || ++this.#batches % this.#probeEvery !== 0) return this.#size;
    const down = Math.floor(this.#size / 2);
    const up = Math.min(this.#ceiling(), this.#size * 2);
    this.#probeDown = !this.#probeDown;
    const order = this.#probeDown ? [down, up] : [up, down];
    return order.find((size) => size >= 1 && size !== this.#size) ?? this.#size;
  }

  /** What a request came back with; returns the decisions it led to. */
  onAnswer(sample: AnswerSample): BatchDecision[] {
    if (sample.outcome === 'overflow') return this.#overflow(sample);
    this.#fitted = Math.max(this.#fitted, sample.recordTokens);
    const decisions: BatchDecision[] = [];
    if (this.#overflowed === Infinity) {
      if (this.#contextTokens !== undefined) this.#refineFromWindow(sample, decisions);
    } else if (!this.#budgetFromServer) this.#searchUp(sample, decisions);
    // Repairs of a few records say little about the batches cut to this size (or to this token budget).
    const budget = this.maxTokens;
    const full = sample.records >= 0.75 * this.#size || (budget !== undefined && sample.recordTokens >= 0.75 * budget);
    if (sample.records < 2 || !full) return decisions;
    if (sample.outcome === 'answered') {
      this.#badInARow = 0;
      this.#goodInARow++;
      if (++this.#goodSinceFailure >= GOOD_TO_FORGET) this.#answerCeiling = Infinity;
      const ceiling = this.#ceiling();
      if (this.#goodInARow >= GOOD_TO_GROW && this.#size < ceiling) {
        this.#push(decisions, 'batchSize', Math.min(ceiling, Math.ceil(this.#size * 1.25)), 'recovered', `${GOOD_TO_GROW} good answers in a row`);
      }
      return decisions;
    }
    this.#goodInARow = 0;
    this.#goodSinceFailure = 0;
    if (++this.#badInARow < BAD_IN_A_ROW) return decisions;
    this.#badInARow = 0;
    const size = Math.min(this.#size, sample.records);
    if (sample.outcome === 'truncated') {
      // The answer held `answered` records before it was cut: its output budget holds about that many.
      this.#outputCeiling = Math.max(1, Math.floor((sample.answered > 0 ? sample.answered : size / 2) * 0.9));
      this.#push(decisions, 'batchSize', Math.min(size, this.#outputCeiling), 'truncated', `answers of ${sample.records} records were cut off (finish_reason length) after ${sample.answered}`);
    } else {
      this.#answerCeiling = Math.max(1, size - 1);
      this.#push(decisions, 'batchSize', Math.max(1, Math.floor(size / 2)), 'unreadable', `answers of ${sample.records} records could not be read, ${BAD_IN_A_ROW} in a row`);
    }
    return decisions;
  }

  /** A request's time; returns the decision it led to, if any. */
  onTiming(sample: TimingSample): BatchDecision[] {
    if (sample.records < 1 || !(sample.latencyMs >= 0)) return [];
    const perRecord = sample.latencyMs / sample.records;
    const timed = this.#timing.get(sample.records);
    if (timed) {
      timed.msPerRecord = 0.7 * timed.msPerRecord + 0.3 * perRecord;
      timed.samples++;
    } else this.#timing.set(sample.records, { msPerRecord: perRecord, samples: 1 });
    if (sample.records !== this.#size) return [];
    const here = this.#timing.get(this.#size)!;
    if (here.samples < TIMED_ENOUGH) return [];
    let best: [number, Timed] | undefined;
    for (const [size, other] of this.#timing) {
      if (size === this.#size || size > this.#ceiling() || other.samples < TIMED_ENOUGH - 1) continue;
      if (other.msPerRecord * TIMING_MARGIN < here.msPerRecord && (!best || other.msPerRecord < best[1].msPerRecord)) best = [size, other];
    }
    if (!best) return [];
    const decisions: BatchDecision[] = [];
    const [size, other] = best;
    this.#push(decisions, 'batchSize', size, 'timing', `${other.msPerRecord.toFixed(1)} ms per record at ${size}, ${here.msPerRecord.toFixed(1)} ms at ${this.#size}`);
    return decisions;
  }

  #ceiling(): number {
    return Math.min(this.#cap, this.#outputCeiling, this.#answerCeiling);
  }

  #overflow(sample: AnswerSample): BatchDecision[] {
    const decisions: BatchDecision[] = [];
    // A record alone over the window is that record's problem (`too_large`), not the budget's.
    if (sample.records < 2) return decisions;
    this.#overflowed = Math.min(this.#overflowed, sample.recordTokens);
    const said = readContextOverflow(sample.message ?? '');
    let budget: number;
    if (said.contextTokens !== undefined && said.promptTokens !== undefined && sample.promptTokens > 0) {
      // The server's tokens per token of our estimate, and what the instructions take besides the records.
      const ratio = Math.min(4, Math.max(0.25, said.promptTokens / sample.promptTokens));
      const overhead = Math.max(0, sample.promptTokens - sample.recordTokens);
      const completion = said.completionTokens ?? this.#completionTokens;
      budget = Math.floor(((said.contextTokens - completion) / ratio - overhead) * CONTEXT_SAFETY);
      this.#budgetFromServer = true;
    } else {
      // No numbers: search between what fitted and what didn't.
      budget = Math.min(this.#contextBudget ?? Infinity, this.#middle());
    }
    budget = Math.max(1, Math.min(budget, this.#overflowed - 1));
    const window = said.contextTokens === undefined ? 'the model’s context' : `the ${said.contextTokens}-token context`;
    this.#push(decisions, 'maxBatchTokens', budget, 'context', `a prompt of ${sample.records} records (~${sample.promptTokens} tokens) overflowed ${window}`);
    return decisions;
  }

  /** Between the largest record-token sum that fitted and the smallest that overflowed. */
  #middle(): number {
    return this.#fitted > 0 && this.#fitted < this.#overflowed ? Math.floor((this.#fitted + this.#overflowed) / 2) : Math.floor(this.#overflowed / 2);
  }

  /** Searching without the server's numbers: a batch at the budget fitted, so try halfway to the smallest that overflowed. */
  #searchUp(sample: AnswerSample, decisions: BatchDecision[]): void {
    const budget = this.#contextBudget;
    if (budget === undefined || sample.recordTokens < 0.9 * budget || this.#overflowed - this.#fitted <= 0.1 * this.#overflowed) return;
    const next = Math.min(this.#overflowed - 1, this.#middle());
    if (next > budget) this.#push(decisions, 'maxBatchTokens', next, 'context', `${sample.recordTokens} tokens of records fitted; ${this.#overflowed} did not`);
  }

  /** With `maxPromptTokens` known: once a request shows what the instructions take, the budget leaves room for them. */
  #refineFromWindow(sample: AnswerSample, decisions: BatchDecision[]): void {
    const overhead = Math.max(0, sample.promptTokens - sample.recordTokens);
    const budget = Math.max(1, Math.floor((this.#contextTokens! - this.#completionTokens - overhead) * CONTEXT_SAFETY));
    if (this.#contextBudget === undefined || budget < this.#contextBudget) this.#push(decisions, 'maxBatchTokens', budget, 'context', `maxPromptTokens is ${this.#contextTokens} and the instructions take ~${overhead}`);
  }

  #push(decisions: BatchDecision[], setting: BatchDecision['setting'], to: number, reason: BatchDecision['reason'], why: string): void {
    if (setting === 'batchSize') {
      const from = this.#size;
      if (to === from) return;
      this.#size = to;
      this.#goodInARow = 0;
      decisions.push({ setting, from, to, reason, message: `batch size ${from} → ${to}: ${why}` });
      return;
    }
    const from = this.#contextBudget;
    if (to === from) return;
    this.#contextBudget = to;
    decisions.push({ setting, ...(from !== undefined && { from }), to, reason, message: `batches now stay under ${to} tokens of records (was ${from ?? 'unbounded'}): ${why}` });
  }
}
