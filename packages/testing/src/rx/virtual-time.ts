/**
 * Virtual time for pipelines whose model calls are promises.
 *
 * `TestScheduler.run` runs every virtual frame in one synchronous flush, but a
 * model call settles in a microtask, after the flush is over: a result would come
 * out at the last frame, or after `run` returned. So these helpers step a
 * `VirtualTimeScheduler` one due frame at a time and let promises settle between
 * the steps, which gives every result the virtual frame it really came out at.
 */
import { Observable, Subscription, VirtualTimeScheduler } from 'rxjs';
import { ModelCallError, type CompletionRequest, type CompletionResponse, type Model } from '@mlpredict/core';

/** A value and the virtual frame it was emitted at. */
export interface TimedValue<T> {
  frame: number;
  value: T;
}

/** What an observable did on the virtual clock. */
export interface VirtualRun<T> {
  values: TimedValue<T>[];
  /** The frame it completed at; undefined if it errored. */
  completedAt?: number;
  error?: { frame: number; error: unknown };
}

export interface PlayVirtualOptions {
  /**
   * Fail rather than step past this frame (a pipeline that never completes).
   * @default 100_000
   */
  maxFrames?: number;
  /**
   * How long, in real time, to wait for a promise to settle while nothing is due
   * on the virtual clock (a retry's real backoff, say) before giving up.
   * @default 5_000
   */
  idleTimeoutMs?: number;
}

/**
 * Subscribes to `source`, then runs `scheduler`'s virtual clock frame by frame,
 * settling promises after each frame, until `source` completes or errors.
 *
 * Use it for any observable whose timers run on `scheduler` (pass it as
 * mlPredict's `scheduler` option) and whose work settles through promises.
 *
 * @example
 * import { VirtualTimeScheduler, timer, map } from 'rxjs';
 * import { playVirtual } from '@mlpredict/testing';
 *
 * const scheduler = new VirtualTimeScheduler();
 * const run = await playVirtual(timer(5, scheduler).pipe(map(() => 'ding')), scheduler);
 * // → { values: [{ frame: 5, value: 'ding' }], completedAt: 5 }
 *
 * @param source the observable under test (cold: subscribed here)
 * @param scheduler the virtual clock its timers use
 * @returns every value with its frame, and when it completed or errored
 */
export async function playVirtual<T>(source: Observable<T>, scheduler: VirtualTimeScheduler, options: PlayVirtualOptions = {}): Promise<VirtualRun<T>> {
  const maxFrames = options.maxFrames ?? 100_000;
  const idleTimeoutMs = options.idleTimeoutMs ?? 5_000;
  const run: VirtualRun<T> = { values: [] };
  let done = false;
  const subscription = source.subscribe({
    next: (value) => run.values.push({ frame: scheduler.now(), value }),
    error: (error: unknown) => {
      run.error = { frame: scheduler.now(), error };
      done = true;
    },
    complete: () => {
      run.completedAt = scheduler.now();
      done = true;
    },
  });
  try {
    await settle();
    let idleSince = Date.now();
    let seen = run.values.length;
    while (!done) {
      const next = scheduler.actions[0];
      if (next) {
        if (next.delay > maxFrames) throw new Error(`playVirtual: still running at frame ${maxFrames} (maxFrames); the next timer is due at frame ${next.delay}`);
        scheduler.maxFrames = next.delay;
        scheduler.flush();
        await settle();
        idleSince = Date.now();
        continue;
      }
      // Nothing due on the virtual clock: some promise waits on real time.
      if (run.values.length !== seen) {
        seen = run.values.length;
        idleSince = Date.now();
      }
      if (Date.now() - idleSince > idleTimeoutMs) {
        throw new Error(`playVirtual: did not complete: nothing is due on the virtual clock (frame ${scheduler.now()}) and nothing happened for ${idleTimeoutMs} ms of real time`);
      }
      await new Promise((resolve) => setTimeout(resolve, 1));
      await settle();
    }
  } finally {
    scheduler.maxFrames = Infinity;
    subscription.unsubscribe();
  }
  return run;
}

/** Lets every promise chain that is ready run to its end (microtasks drain before each macrotask). */
async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** Virtual frames a call takes: a number, or one computed per call (`call` counts from 1). */
export type VirtualLatency = number | ((request: CompletionRequest, call: number) => number);

/**
 * Wraps a model so each answer arrives `latency` frames of virtual time after the
 * call (the wrapped model is called at once; its answer is held back).
 *
 * Use it with {@link playVirtual} or {@link marblePredict} to test what depends
 * on answers arriving in another order than they were asked: ordering,
 * concurrency, `ordered: false`.
 *
 * @example
 * import { VirtualTimeScheduler } from 'rxjs';
 * import { ruleModel, virtualLatency, sentimentOf } from '@mlpredict/testing';
 *
 * const scheduler = new VirtualTimeScheduler();
 * const slowFirst = virtualLatency(ruleModel(sentimentOf), scheduler, (_request, call) => (call === 1 ? 10 : 1));
 */
export function virtualLatency<M extends Model>(model: M, scheduler: VirtualTimeScheduler, latency: VirtualLatency): M {
  let calls = 0;
  const complete = (request: CompletionRequest): Promise<CompletionResponse> => {
    const frames = typeof latency === 'function' ? latency(request, ++calls) : latency;
    const answer = model.complete(request);
    answer.catch(() => undefined); // handled below, when the frames have passed
    return new Promise<CompletionResponse>((resolve, reject) => {
      const signal = request.signal;
      const onAbort = () => {
        timer.unsubscribe();
        reject(new ModelCallError('the request was aborted', { kind: 'aborted', cause: signal?.reason }));
      };
      const timer: Subscription = scheduler.schedule(() => {
        signal?.removeEventListener('abort', onAbort);
        answer.then(resolve, reject);
      }, frames);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  };
  // Keep the wrapped model's other members (`calls`, `embed`, …) and getters.
  return new Proxy(model, { get: (target, key, receiver) => (key === 'complete' ? complete : Reflect.get(target, key, receiver)) });
}
