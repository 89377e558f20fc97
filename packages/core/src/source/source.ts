/**
 * The contract for at-least-once inputs (Kafka, Redis Streams, a queue): a source
 * hands out messages with a key and an `ack`; a sink writes results; the runner
 * (`runSource`) acks a message only after its result is written, and stops
 * reading while its in-flight bound is reached. A new adapter is one source and
 * one sink; matching, ordering, in-flight counting and draining live in the
 * runner. No dependencies, like `model/model.ts`.
 */

/** One message of an at-least-once source. */
export interface SourceMessage<T = unknown> {
  /** Unique within the source while the message is unacked (Kafka: `topic/partition/offset`, Redis: the entry id). */
  readonly key: string;
  /**
   * Messages of one partition are acked in the order they were read (Kafka's
   * offsets). Absent: the source acks each message on its own (Redis `XACK`).
   */
  readonly partition?: string;
  /** The record to predict, already decoded. */
  readonly record: T;
  /**
   * Set when the message could not be decoded (malformed JSON, a missing field):
   * why. The runner gives it a `bad_input` result, in its place, without sending
   * it to the model; `record` then holds what was read (the raw text).
   */
  readonly invalid?: string;
  /** Its result is written: the source may forget the message (commit the offset, `XACK`). */
  ack(): Promise<void> | void;
  /**
   * Its result will not be written (the runner is stopping, or the sink failed):
   * deliver it again later. Sources that redeliver whatever is unacked may omit it.
   */
  nack?(): Promise<void> | void;
}

/**
 * Where messages come from. The runner pulls with `next()` only while it has
 * room, so a source that buffers should pause its upstream when not read.
 */
export interface Source<T = unknown> {
  /** The next message; `undefined` when the source has ended (or was closed). May wait. */
  next(signal: AbortSignal): Promise<SourceMessage<T> | undefined>;
  /** Stops delivering; pending `next()` calls resolve `undefined`. Idempotent. */
  close(): Promise<void>;
}

/** Where results go; `write` resolves once they are durable. */
export interface Sink<T = unknown, R = unknown> {
  /** Writes results in the order given (each with its message). Throwing means none of them is acked. */
  write(entries: ReadonlyArray<{ message: SourceMessage<T>; result: R }>): Promise<void>;
  close?(): Promise<void>;
}
