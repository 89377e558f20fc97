/**
 * The Node stream adapter: an object-mode Duplex over the `mlPredict` operator,
 * with backpressure in both directions. Records in flight — written but not yet
 * read back as results — never pass `maxRecordsInFlight`, so memory is bounded by
 * the options, never by the input size.
 */
import { Duplex } from 'node:stream';
import type { StandardSchemaV1 } from '@standard-schema/spec';
import type { Model, PredictOptions, PredictResult } from '@mlpredict/core';
import { Predictor, resolveOptions } from '@mlpredict/core/internals';

/** Stream-level settings, apart from the operator's options. */
export interface PredictStreamOptions {
  /**
   * Records Node may queue on the writable side while a write is held.
   * @default 16 (Node's object-mode default)
   */
  writableHighWaterMark?: number;
  /**
   * Results Node may hold on the readable side before it stops asking for more.
   * They still count as in flight.
   * @default 16 (Node's object-mode default)
   */
  readableHighWaterMark?: number;
  /** Destroys the stream (and aborts its requests) when aborted. */
  signal?: AbortSignal;
}

/**
 * The Duplex `createPredictStream` returns: write records, read `PredictResult`s
 * in input order. A thin adapter over a predictor session: writes are submits,
 * results are pushes, and a write is held while the session is full.
 */
export class PredictStream<T = unknown, V = unknown> extends Duplex {
  /** The bound on records in flight: concurrency × batchSize + reorderWindow (following the tuned settings with `'auto'`). */
  get maxInFlight(): number {
    return this.#predictor.maxInFlight;
  }
  /**
   * The stream's results, typed: what `for await (const r of stream)` reads, but
   * as `PredictResult<T, V>` (a Duplex's own iterator yields `any`), so the value
   * type follows `valueSchema`.
   *
   * @example
   * const stream = createPredictStream(model, { valueSchema: z.enum(['positive', 'negative']) });
   * Readable.from(['Great phone', 'It broke']).pipe(stream);
   * for await (const r of stream.results()) console.log(r.value); // 'positive' | 'negative' | undefined
   */
  results(): AsyncIterable<PredictResult<T, V>> {
    return this as AsyncIterable<PredictResult<T, V>>;
  }
  readonly #predictor: Predictor<T, V, number>;
  /** Results out of the session, not yet handed to Node's readable buffer. */
  readonly #ready: PredictResult<T, V>[] = [];
  #wantsRead = false;
  #endPushed = false;
  /** The callback of the write that filled the bound; calling it lets the next write in. */
  #heldWrite: ((error?: Error | null) => void) | undefined;

  constructor(model: Model, options: PredictOptions = {}, streamOptions: PredictStreamOptions = {}) {
    // Validates here, so a bad option throws before any stream exists.
    const resolved = resolveOptions(options, model, 'createPredictStream');
    super({
      objectMode: true,
      writableHighWaterMark: streamOptions.writableHighWaterMark,
      readableHighWaterMark: streamOptions.readableHighWaterMark,
      signal: streamOptions.signal,
    });
    this.#predictor = new Predictor<T, V, number>(model, resolved, {}, {
      result: (result) => {
        this.#ready.push(result);
        this.#flush();
      },
      error: (error: unknown) => this.destroy(error instanceof Error ? error : new Error(String(error))),
      end: () => this.#flush(),
    });
  }

  /**
   * Records written whose result has not been read yet: inside the session,
   * waiting here, or sitting in Node's readable buffer.
   */
  get inFlight(): number {
    return this.#predictor.inFlight + this.#ready.length + this.readableLength;
  }

  override _write(record: T, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#predictor.submit(record);
    // Holding the callback is what stops the writer: Node queues later writes
    // and `write()` returns false once that queue reaches the high-water mark.
    if (this.inFlight < this.maxInFlight) callback();
    else this.#heldWrite = callback;
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.#predictor.end();
    callback();
  }

  override _read(): void {
    this.#wantsRead = true;
    this.#flush();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // Closing the session aborts every request in flight.
    this.#predictor.close();
    this.#ready.length = 0;
    const held = this.#heldWrite;
    this.#heldWrite = undefined;
    held?.();
    callback(error);
  }

  #flush(): void {
    while (this.#wantsRead && this.#ready.length > 0) this.#wantsRead = this.push(this.#ready.shift());
    if (this.#predictor.closed && this.#ready.length === 0 && !this.#endPushed && !this.destroyed) {
      this.#endPushed = true;
      this.push(null);
    }
    this.#releaseHeldWrite();
  }

  #releaseHeldWrite(): void {
    if (this.#heldWrite && this.inFlight < this.maxInFlight) {
      const callback = this.#heldWrite;
      this.#heldWrite = undefined;
      callback();
    }
  }
}

/**
 * Creates an object-mode Duplex that predicts every record written to it and
 * yields one `PredictResult` per record, in input order (unless `ordered: false`).
 *
 * Backpressure is real: once `maxInFlight` records (concurrency × batchSize plus
 * the reorder window) are written and not yet read back, the stream holds the
 * write's callback, so `write()` returns false and `pipeline` pauses the source;
 * results left unread count as in flight, so a reader that stops reading stops the
 * source too. `destroy()` — or an error anywhere in a `pipeline` — aborts the
 * requests in flight. Options are validated here: a bad one throws a `TypeError`
 * naming it.
 *
 * @example
 * import { pipeline } from 'node:stream/promises';
 * import { openAIModel } from '@mlpredict/core';
 * import { createPredictStream } from '@mlpredict/node';
 *
 * const model = openAIModel({ model: 'gpt-4o-mini' });
 * await pipeline(
 *   readJsonLines('reviews.jsonl'),
 *   createPredictStream(model, { textField: 'review', valueField: 'sentiment', batchSize: 20 }),
 *   async function* (results) { for await (const r of results) yield JSON.stringify(r.value ?? r.error) + '\n'; },
 *   createWriteStream('sentiments.jsonl'),
 * );
 *
 * @param model any `Model`, e.g. from `openAIModel`
 * @param options the operator's options (see `@mlpredict/core`)
 * @param streamOptions high-water marks and an AbortSignal for the stream itself
 * @returns a {@link PredictStream} (a `Duplex`)
 */
export function createPredictStream<T, S extends StandardSchemaV1>(model: Model, options: PredictOptions & { valueSchema: S }, streamOptions?: PredictStreamOptions): PredictStream<T, StandardSchemaV1.InferOutput<S>>;
export function createPredictStream<T = unknown, V = unknown>(model: Model, options?: PredictOptions, streamOptions?: PredictStreamOptions): PredictStream<T, V>;
export function createPredictStream<T, V>(model: Model, options: PredictOptions = {}, streamOptions: PredictStreamOptions = {}): PredictStream<T, V> {
  return new PredictStream<T, V>(model, options, streamOptions);
}
