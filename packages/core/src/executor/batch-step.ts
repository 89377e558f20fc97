/**
 * One predictor session shared by every item of a `mapChain` that reaches a
 * batch step: each item's input is submitted with its own key, so like prompts
 * from many items go out in the same batched requests, and each item gets back
 * its own result. Internal.
 *
 * Items reach the step at their own pace, and each waits there for its answer,
 * so a batch may never fill: when every item in flight is waiting (the chain
 * says so through `flush`), or every item has arrived or passed, the open
 * partial batch goes out at once rather than after `batchTimeoutMs`.
 */
import type { Model } from '../model/model.js';
import { resolveOptions, type PredictOptions } from '../config/options.js';
import { Predictor } from '../predict/predictor.js';
import type { PredictResult } from '../results/result.js';
import type { Outcome } from './task-engine.js';

export class SharedBatchRun {
  readonly #predictor: Predictor<unknown, unknown, number>;
  /** key → the waiting item's resolver. */
  readonly #pending = new Map<number, (outcome: Outcome) => void>();
  readonly #expected: number;
  #nextKey = 0;
  #accounted = 0;
  /** Set once the session can answer no more (its hooks failed it): every later ask gets this. */
  #over: Outcome | undefined;

  /**
   * @param expected how many items will each either `ask` or `pass`
   */
  constructor(model: Model, options: PredictOptions, expected: number, signal: AbortSignal) {
    this.#expected = expected;
    // Resolved here, so a bad option throws before any item starts.
    const resolved = resolveOptions({ ...options, ordered: false, onError: 'emit', signal }, model, 'mapChain batch step');
    this.#predictor = new Predictor(model, resolved, {}, {
      result: (result) => this.#answer(result),
      error: (error: unknown) =>
        this.#end({ ok: false, error: { code: 'failed', message: `the batch run failed: ${error instanceof Error ? error.message : String(error)}`, attempts: 0, cause: error }, attempts: 0 }),
    });
  }

  /** Items that asked and have no answer yet. */
  get waiting(): number {
    return this.#pending.size;
  }

  /** Sends one item's input into the shared session; resolves with its value or error. */
  ask(input: unknown): Promise<Outcome> {
    if (this.#over) {
      this.#account();
      return Promise.resolve(this.#over);
    }
    const key = this.#nextKey++;
    const answer = new Promise<Outcome>((resolve) => this.#pending.set(key, resolve));
    this.#predictor.submit(input, key);
    this.#account();
    return answer;
  }

  /** One item will never reach this step (it failed or was cancelled earlier). */
  pass(): void {
    this.#account();
  }

  /** Sends the open partial batch now. */
  flush(): void {
    this.#predictor.flush();
  }

  /** Stops the session (aborting its requests) and answers whatever is pending. */
  close(): void {
    this.#end({ ok: false, error: { code: 'aborted', message: 'the chain ended before this batch answered', attempts: 0 }, attempts: 0 });
  }

  #account(): void {
    if (++this.#accounted === this.#expected) this.flush();
  }

  #answer(result: PredictResult<unknown, unknown, number>): void {
    const resolve = this.#pending.get(result.key);
    if (!resolve) return;
    this.#pending.delete(result.key);
    const attempts = result.meta.attempts;
    const usage = result.meta.usage && { usage: result.meta.usage };
    if (!result.ok) {
      const { code, message, status, fatal } = result.error;
      resolve({ ok: false, error: { code, message, attempts: result.error.attempts, ...(status !== undefined && { status }), ...(fatal && { fatal }) }, attempts, ...usage });
    } else {
      resolve({ ok: true, value: result.value, attempts, ...usage });
    }
  }

  /** Answers every pending item with `outcome`, and every later one too. */
  #end(outcome: Outcome): void {
    this.#over ??= outcome;
    this.#predictor.close();
    for (const resolve of this.#pending.values()) resolve(outcome);
    this.#pending.clear();
  }
}
