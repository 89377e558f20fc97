/**
 * Where settled results wait for their turn: in input order (a record answered
 * early waits for every earlier one), or as they come. Two small objects rather
 * than `ordered` branches through the engine (Flink keeps its async operator's
 * ordered and unordered queues apart the same way).
 */
import type { PredictResult } from '../results/result.js';

export interface ResultQueue<R extends PredictResult<any, any, any>> {
  /** Takes a settled result; calls `emit` for every result whose turn has come, in order. */
  add(result: R, emit: (result: R) => void): void;
  /** Results held back, waiting for an earlier one. */
  readonly held: number;
  /** The seq of the next result the ordered queue will emit (0 for unordered). */
  readonly nextSeq: number;
  clear(): void;
}

/** Emits in `seq` order. */
export class OrderedResults<R extends PredictResult<any, any, any>> implements ResultQueue<R> {
  readonly #ready = new Map<number, R>();
  #next = 0;

  get held(): number {
    return this.#ready.size;
  }
  get nextSeq(): number {
    return this.#next;
  }

  add(result: R, emit: (result: R) => void): void {
    this.#ready.set(result.seq, result);
    for (let r = this.#ready.get(this.#next); r !== undefined; r = this.#ready.get(this.#next)) {
      this.#ready.delete(this.#next);
      this.#next++;
      emit(r);
    }
  }

  clear(): void {
    this.#ready.clear();
  }
}

/** Emits each result as soon as it settles. */
export class UnorderedResults<R extends PredictResult<any, any, any>> implements ResultQueue<R> {
  readonly held = 0;
  readonly nextSeq = 0;
  add(result: R, emit: (result: R) => void): void {
    emit(result);
  }
  clear(): void {}
}
