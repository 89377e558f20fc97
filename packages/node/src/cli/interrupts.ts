/**
 * Ctrl-C and `kill`, as the CLI handles them: the first SIGINT or SIGTERM stops
 * reading and lets the records in flight finish, for at most a grace period; a
 * second signal, or the end of the grace period, aborts them. An `AbortSignal`
 * (for code that runs the CLI in process) aborts at once.
 */

export type InterruptSignal = 'SIGINT' | 'SIGTERM';

/** Where signals come from: `process` in the executable, an `EventEmitter` in a test. */
export interface SignalSource {
  on(event: InterruptSignal, listener: () => void): unknown;
  off(event: InterruptSignal, listener: () => void): unknown;
}

export interface InterruptOptions {
  signals?: SignalSource;
  /** Aborting it aborts the run at once, as a second signal would. */
  abortSignal?: AbortSignal;
  /** How long the records in flight may take to finish after the first signal. */
  graceMs: number;
  /** Told of the first signal, to say what happens now. */
  onStop?(signal: InterruptSignal): void;
}

/**
 * @example
 * const interrupts = new Interrupts({ signals: process, graceMs: 30_000 });
 * interrupts.stopped.then(() => … stop reading …);
 * interrupts.aborted.addEventListener('abort', () => … abort requests …);
 * interrupts.dispose();
 */
export class Interrupts {
  /** The first signal received, if any. */
  received: InterruptSignal | undefined;
  /** Resolves at the first signal (or abort): stop reading. */
  readonly stopped: Promise<void>;
  readonly #abort = new AbortController();
  readonly #options: InterruptOptions;
  #stop!: () => void;
  #grace: NodeJS.Timeout | undefined;
  readonly #listeners: Array<[InterruptSignal, () => void]>;
  readonly #onAbortSignal = () => {
    this.received ??= 'SIGINT';
    this.#stop();
    this.#abort.abort();
  };

  constructor(options: InterruptOptions) {
    this.#options = options;
    this.stopped = new Promise((resolve) => (this.#stop = resolve));
    this.#listeners = (['SIGINT', 'SIGTERM'] as const).map((signal) => [signal, () => this.#signal(signal)]);
    for (const [signal, listener] of this.#listeners) options.signals?.on(signal, listener);
    if (options.abortSignal?.aborted) this.#onAbortSignal();
    else options.abortSignal?.addEventListener('abort', this.#onAbortSignal, { once: true });
  }

  /** Aborts at a second signal, when the grace period ends, or when the abort signal fires. */
  get aborted(): AbortSignal {
    return this.#abort.signal;
  }

  /** Stops listening; the process's own signal handling applies again. */
  dispose(): void {
    clearTimeout(this.#grace);
    for (const [signal, listener] of this.#listeners) this.#options.signals?.off(signal, listener);
    this.#options.abortSignal?.removeEventListener('abort', this.#onAbortSignal);
  }

  #signal(signal: InterruptSignal): void {
    if (this.received !== undefined) {
      this.#abort.abort();
      return;
    }
    this.received = signal;
    this.#stop();
    this.#options.onStop?.(signal);
    this.#grace = setTimeout(() => this.#abort.abort(), this.#options.graceMs);
    // The grace timer alone must not keep a finished run alive.
    this.#grace.unref();
  }
}
