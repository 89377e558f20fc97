/**
 * mlPredict over a marble diagram on virtual time: batch-timeout flushes,
 * ordering and completion, asserted by frame.
 */
import { Observable, Subscription, VirtualTimeScheduler, type SchedulerLike } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { mlPredict, type Model, type PredictOptions, type PredictResult } from '@mlpredict/core';
import { playVirtual, type PlayVirtualOptions } from './virtual-time.js';

export interface MarblePredictOptions<T> extends PlayVirtualOptions {
  /** What each marble character stands for; without it, the character itself is the record. */
  values?: Record<string, T>;
  /** The error a `#` in the source emits. */
  error?: unknown;
  /** mlPredict's options; `batchTimeoutMs` counts virtual frames (one per marble character). */
  options?: Omit<PredictOptions, 'scheduler'>;
  /** The virtual clock; a new one by default. Pass it to {@link virtualLatency} too. */
  scheduler?: VirtualTimeScheduler;
}

/** One result and the frame it came out at. */
export interface TimedResult<T, V> {
  frame: number;
  result: PredictResult<T, V>;
}

export interface MarbleRun<T, V> {
  results: TimedResult<T, V>[];
  completedAt?: number;
  error?: { frame: number; error: unknown };
}

/**
 * Runs `mlPredict` over a cold marble source on virtual time (one frame per
 * character, `TestScheduler.run` syntax: `-`, `(ab)`, `|`, `#`, `10ms`), and
 * returns every result with the frame it was emitted at.
 *
 * Use it to test timing: when a partial batch is flushed by `batchTimeoutMs`,
 * that results keep input order while answers arrive out of order, what happens
 * at completion. The model is called as usual; its answers settle as promises,
 * which this runs between frames (see {@link playVirtual}); to make answers take
 * virtual time, wrap the model with {@link virtualLatency} on the same scheduler.
 *
 * @example
 * import { marblePredict, ruleModel } from '@mlpredict/testing';
 *
 * const model = ruleModel((text) => text.toUpperCase());
 * const run = await marblePredict(model, 'a-b-------|', { options: { batchSize: 5, batchTimeoutMs: 4 } });
 * run.results.map((r) => [r.frame, r.result.value]); // → [[4, 'A'], [4, 'B']]: the timeout flushed a, b at frame 4
 * run.completedAt;                                    // → 10
 *
 * @param model the model under test (usually a fake)
 * @param source a marble diagram of records
 * @returns results with their frames, and when the output completed or errored
 */
export async function marblePredict<T = string, V = unknown>(model: Model, source: string, settings: MarblePredictOptions<T> = {}): Promise<MarbleRun<T, V>> {
  const scheduler = settings.scheduler ?? new VirtualTimeScheduler();
  const records = coldMarbles<T>(source, settings.values, settings.error, scheduler);
  const run = await playVirtual(records.pipe(mlPredict<T, V>(model, { ...settings.options, scheduler })), scheduler, settings);
  return { results: run.values.map(({ frame, value }) => ({ frame, result: value })), completedAt: run.completedAt, error: run.error };
}

/**
 * A cold observable that plays a marble diagram on `scheduler`, frames counted
 * from subscription.
 *
 * @example
 * coldMarbles('a-b|', { a: 'Great phone', b: 'Broke' }, undefined, scheduler) // a at 0, b at 2, complete at 3
 */
export function coldMarbles<T>(marbles: string, values: Record<string, T> | undefined, error: unknown, scheduler: SchedulerLike): Observable<T> {
  const messages = parseRunModeMarbles(marbles, values, error);
  return new Observable<T>((subscriber) => {
    const timers = new Subscription();
    for (const { frame, notification } of messages) {
      timers.add(
        scheduler.schedule(() => {
          if (notification.kind === 'N') subscriber.next(notification.value as T);
          else if (notification.kind === 'E') subscriber.error(notification.error);
          else subscriber.complete();
        }, frame),
      );
    }
    return timers;
  });
}

type Message = ReturnType<typeof TestScheduler.parseMarbles>[number];

/** TestScheduler's own parser, in `run` mode: one frame per character, spaces ignored, `10ms` time progressions. */
function parseRunModeMarbles(marbles: string, values: Record<string, unknown> | undefined, error: unknown): Message[] {
  if (marbles.includes('^')) throw new Error(`marblePredict: a cold source has no subscription point "^": ${marbles}`);
  const factor = TestScheduler.frameTimeFactor;
  TestScheduler.frameTimeFactor = 1;
  try {
    return TestScheduler.parseMarbles(marbles, values, error, false, true);
  } finally {
    TestScheduler.frameTimeFactor = factor;
  }
}
