/**
 * One `mlPredict` pipeline shared by every item of a `mapChain` that reaches a
 * batch step: each item's input is fed into a Subject piped through the
 * operator, so like prompts from many items go out in the same batched
 * requests, and each item gets back its own result by `seq`. Internal.
 *
 * Items reach the step at their own pace, and each waits there for its answer,
 * so a batch may never fill: when every item in flight is waiting (the chain
 * says so through `flush`), or every item has arrived or passed, the open
 * segment's input ends and its last partial batch goes out at once rather than
 * after `batchTimeoutMs`. Later arrivals open a new segment of the same
 * pipeline (same options, same model limits).
 */
import { Subject, type OperatorFunction } from 'rxjs';
import type { Model } from '../model/model.js';
import type { PredictOptions } from '../config/options.js';
import { mlPredict } from '../operators/ml-predict.js';
import type { PredictResult } from '../results/result.js';
import type { Outcome } from './task-engine.js';

interface Segment {
  subject: Subject<unknown>;
  /** seq (per segment, as mlPredict numbers its inputs) → the item's resolver. */
  pending: Map<number, (outcome: Outcome) => void>;
  sent: number;
  unsubscribe(): void;
}

export class SharedBatchRun {
  readonly #operator: OperatorFunction<unknown, PredictResult>;
  readonly #segments = new Set<Segment>();
  readonly #expected: number;
  readonly #signal: AbortSignal;
  #open: Segment | undefined;
  #accounted = 0;
  #waiting = 0;
  /** Set once the pipeline can answer no more: aborted, or its stream failed. */
  #over: Outcome | undefined;

  /**
   * @param expected how many items will each either `ask` or `pass`
   */
  constructor(model: Model, options: PredictOptions, expected: number, signal: AbortSignal) {
    this.#expected = expected;
    this.#signal = signal;
    // Built here, so a bad option throws before any item starts.
    this.#operator = mlPredict(model, { ...options, ordered: false, onError: 'emit', signal });
    if (signal.aborted) this.#abort();
    else signal.addEventListener('abort', this.#abort, { once: true });
  }

  /** Items that asked and have no answer yet. */
  get waiting(): number {
    return this.#waiting;
  }

  /** Sends one item's input into the shared pipeline; resolves with its value or error. */
  ask(input: unknown): Promise<Outcome> {
    if (this.#over) {
      this.#account();
      return Promise.resolve(this.#over);
    }
    const segment = (this.#open ??= this.#openSegment());
    const seq = segment.sent++;
    this.#waiting++;
    const answer = new Promise<Outcome>((resolve) => segment.pending.set(seq, resolve));
    segment.subject.next(input);
    this.#account();
    return answer;
  }

  /** One item will never reach this step (it failed or was cancelled earlier). */
  pass(): void {
    this.#account();
  }

  /** Ends the open segment's input, so its last partial batch goes out now. */
  flush(): void {
    const segment = this.#open;
    this.#open = undefined;
    segment?.subject.complete();
  }

  /** Stops every segment (aborting its requests) and answers whatever is pending. */
  close(): void {
    this.#signal.removeEventListener('abort', this.#abort);
    this.#end({ ok: false, error: { code: 'aborted', message: 'the chain ended before this batch answered', attempts: 0 }, attempts: 0 });
  }

  #account(): void {
    if (++this.#accounted === this.#expected) this.flush();
  }

  #openSegment(): Segment {
    const subject = new Subject<unknown>();
    const segment: Segment = { subject, pending: new Map(), sent: 0, unsubscribe: () => undefined };
    this.#segments.add(segment);
    const subscription = subject.pipe(this.#operator).subscribe({
      next: (result) => this.#answer(segment, result),
      error: (error: unknown) =>
        this.#end({ ok: false, error: { code: 'failed', message: `the batch run failed: ${error instanceof Error ? error.message : String(error)}`, attempts: 0, cause: error }, attempts: 0 }),
      complete: () => this.#segments.delete(segment),
    });
    segment.unsubscribe = () => subscription.unsubscribe();
    return segment;
  }

  #answer(segment: Segment, result: PredictResult): void {
    const resolve = segment.pending.get(result.seq);
    if (!resolve) return;
    segment.pending.delete(result.seq);
    this.#waiting--;
    const attempts = result.meta.attempts;
    const usage = result.meta.usage && { usage: result.meta.usage };
    if (result.error) {
      const { code, message, status } = result.error;
      resolve({ ok: false, error: { code, message, attempts: result.error.attempts, ...(status !== undefined && { status }) }, attempts, ...usage });
    } else {
      resolve({ ok: true, value: result.value, attempts, ...usage });
    }
  }

  #abort = (): void => {
    this.#end({ ok: false, error: { code: 'aborted', message: 'the run was cancelled before this batch answered', attempts: 0 }, attempts: 0 });
  };

  /** Answers every pending item with `outcome`, and every later one too. */
  #end(outcome: Outcome): void {
    this.#over ??= outcome;
    this.#open = undefined;
    for (const segment of this.#segments) {
      segment.unsubscribe();
      for (const resolve of segment.pending.values()) resolve(outcome);
      segment.pending.clear();
    }
    this.#segments.clear();
    this.#waiting = 0;
  }
}
