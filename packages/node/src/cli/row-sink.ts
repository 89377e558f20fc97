/**
 * Output rows → text on a writable (a file or stdout), with backpressure, and
 * the bookkeeping `--resume` needs: how many rows and bytes are in the file, a
 * running hash of those bytes and of the input rows they answer, and now and
 * then a checkpoint of all four, handed on only once its bytes are written.
 */
import type { Hash } from 'node:crypto';
import type { Writable } from 'node:stream';
import type { RowFormatter } from './output-format.js';
import type { OutputRow } from './predict-rows.js';

/** A state of the output that a later run can continue from. */
export interface Checkpoint {
  /** Complete rows in the file. */
  rows: number;
  /** Bytes of the file those rows (and the header) take; a footer comes after. */
  bytes: number;
  /** sha256 over the digests of the input rows answered, in order. */
  inputSha256: string;
  /** sha256 of the file's first `bytes` bytes. */
  outputSha256: string;
}

/** Where the file stands when the sink takes it over: empty, or an earlier run's rows. */
export interface SinkStart {
  rows: number;
  bytes: number;
  inputHash: Hash;
  outputHash: Hash;
}

export interface RowSinkOptions {
  formatter: RowFormatter;
  start: SinkStart;
  /** Gets a checkpoint once its bytes have reached the writable, at most every `checkpointMs`. */
  onCheckpoint?(checkpoint: Checkpoint): void;
  /** @default 250 */
  checkpointMs?: number;
}

/**
 * @example
 * const sink = new RowSink(createWriteStream('out.jsonl'), { formatter, start: freshStart(), onCheckpoint: save });
 * await sink.begin();
 * for await (const row of rows) await sink.write(row, digestOfItsInput);
 * const last = await sink.finish();
 */
export class RowSink {
  readonly #stream: Writable;
  readonly #options: RowSinkOptions;
  #rows: number;
  #bytes: number;
  readonly #inputHash: Hash;
  readonly #outputHash: Hash;
  #lastCheckpointAt = Date.now();
  #failure: Error | undefined;

  constructor(stream: Writable, options: RowSinkOptions) {
    this.#stream = stream;
    this.#options = options;
    this.#rows = options.start.rows;
    this.#bytes = options.start.bytes;
    this.#inputHash = options.start.inputHash;
    this.#outputHash = options.start.outputHash;
    stream.on('error', (error) => (this.#failure ??= error));
  }

  /** Complete rows in the output, earlier runs' included. */
  get rows(): number {
    return this.#rows;
  }

  /** Writes the header, unless the file already holds an earlier run's. */
  async begin(): Promise<void> {
    if (this.#bytes === 0) await this.#put(this.#options.formatter.header);
  }

  /** Writes one row; `digest` is that of the input row it answers (see `rowDigest`). */
  async write(row: OutputRow, digest: Buffer): Promise<void> {
    this.#inputHash.update(digest);
    this.#rows++;
    const text = this.#options.formatter.row(row, this.#rows === 1);
    const due = this.#options.onCheckpoint !== undefined && Date.now() - this.#lastCheckpointAt >= (this.#options.checkpointMs ?? 250);
    await this.#put(text, due);
  }

  /** Writes the footer and returns the checkpoint after the last row (the footer is not part of it). */
  async finish(): Promise<Checkpoint> {
    const last = this.checkpoint();
    await this.#put(this.#options.formatter.footer, false, false);
    return last;
  }

  /** Where the output stands now. */
  checkpoint(): Checkpoint {
    return {
      rows: this.#rows,
      bytes: this.#bytes,
      inputSha256: this.#inputHash.copy().digest('hex'),
      outputSha256: this.#outputHash.copy().digest('hex'),
    };
  }

  async #put(text: string, checkpoint = false, counted = true): Promise<void> {
    if (this.#failure) throw this.#failure;
    if (text === '') return;
    if (counted) {
      this.#bytes += Buffer.byteLength(text);
      this.#outputHash.update(text);
    }
    let done: ((error?: Error | null) => void) | undefined;
    if (checkpoint) {
      const state = this.checkpoint();
      this.#lastCheckpointAt = Date.now();
      done = (error) => {
        if (!error) this.#options.onCheckpoint!(state);
      };
    }
    if (!this.#stream.write(text, done)) await drained(this.#stream);
  }
}

function drained(output: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    const settle = (error?: Error) => {
      output.off('drain', onDrain);
      output.off('close', onClose);
      output.off('error', onError);
      if (error) reject(error);
      else resolve();
    };
    const onDrain = () => settle();
    const onClose = () => settle(new Error('the output closed before the run ended'));
    const onError = (error: Error) => settle(error);
    output.on('drain', onDrain);
    output.on('close', onClose);
    output.on('error', onError);
  });
}
