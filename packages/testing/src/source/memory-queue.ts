/**
 * An in-memory at-least-once queue, the smallest thing with a broker's
 * semantics: each message is leased to one reader until it is acked; a nacked
 * message, or every message leased to a reader that crashed, is delivered again.
 * Its sink records every write, and it checks the one rule a runner must keep:
 * no message is acked before its result was written.
 */
import type { Sink, Source, SourceMessage } from '@mlpredict/core';

interface Entry<T> {
  key: string;
  record: T;
  acked: boolean;
  /** The reader holding it, when leased. */
  leasedBy?: number;
  deliveries: number;
}

/** One write the sink received. */
export interface MemoryWrite<R> {
  key: string;
  result: R;
  /** Which reader's run wrote it. */
  reader: number;
}

export interface MemoryQueue<T, R> {
  /** A reader: delivers messages not acked and not leased to a live reader, then ends (`undefined`) once all are acked or leased. */
  source(options?: { endWhenEmpty?: boolean }): Source<T> & { readonly id: number };
  /** Records every result written. */
  sink(): Sink<T, R>;
  /** Simulates the death of a reader: everything it leased and did not ack is delivered again; its later acks are refused. */
  crash(reader: number): void;
  readonly writes: ReadonlyArray<MemoryWrite<R>>;
  /** Keys acked, in order. */
  readonly acks: readonly string[];
  /** Broken rules: acks before a write, acks of unknown or foreign messages. Empty when the runner behaved. */
  readonly violations: readonly string[];
  /** How many times each key was delivered. */
  deliveries(key: string): number;
  /** All messages acked. */
  readonly drained: boolean;
}

/**
 * @example
 * import { memoryQueue } from '@mlpredict/testing';
 * const queue = memoryQueue(['Great phone', 'Broke in a week']);
 * await runSource({ source: queue.source(), sink: queue.sink(), model, options }).done;
 * queue.violations; // → []
 */
export function memoryQueue<T, R = unknown>(records: readonly T[]): MemoryQueue<T, R> {
  const entries: Entry<T>[] = records.map((record, i) => ({ key: `m${i}`, record, acked: false, deliveries: 0 }));
  const byKey = new Map(entries.map((e) => [e.key, e]));
  const writes: MemoryWrite<R>[] = [];
  const written = new Set<string>();
  const acks: string[] = [];
  const violations: string[] = [];
  const crashed = new Set<number>();
  let readers = 0;

  const available = (): Entry<T> | undefined => entries.find((e) => !e.acked && e.leasedBy === undefined);

  return {
    source({ endWhenEmpty = true } = {}) {
      const id = ++readers;
      let closed = false;
      return {
        id,
        async next(signal: AbortSignal): Promise<SourceMessage<T> | undefined> {
          for (;;) {
            if (closed || signal.aborted || crashed.has(id)) return undefined;
            const entry = available();
            if (entry) {
              entry.leasedBy = id;
              entry.deliveries++;
              return messageOf(entry, id);
            }
            if (endWhenEmpty && entries.every((e) => e.acked || e.leasedBy !== undefined)) return undefined;
            await new Promise((resolve) => setTimeout(resolve, 1));
          }
        },
        async close() {
          // A reader that leaves hands back what it holds, as a consumer leaving its group does.
          closed = true;
          for (const e of entries) if (e.leasedBy === id && !e.acked) e.leasedBy = undefined;
        },
      };
    },
    sink() {
      return {
        async write(batch) {
          for (const { message, result } of batch) {
            writes.push({ key: message.key, result, reader: readerOf(message) });
            written.add(message.key);
          }
        },
      };
    },
    crash(reader) {
      crashed.add(reader);
      for (const e of entries) if (e.leasedBy === reader && !e.acked) e.leasedBy = undefined;
    },
    writes,
    acks,
    violations,
    deliveries: (key) => byKey.get(key)?.deliveries ?? 0,
    get drained() {
      return entries.every((e) => e.acked);
    },
  };

  function messageOf(entry: Entry<T>, reader: number): SourceMessage<T> & { reader: number } {
    return {
      key: entry.key,
      record: entry.record,
      reader,
      ack() {
        if (crashed.has(reader)) throw new Error(`reader ${reader} is gone: ack of ${entry.key} refused`);
        if (entry.leasedBy !== reader) violations.push(`${entry.key} acked by reader ${reader}, which does not hold it`);
        if (!written.has(entry.key)) violations.push(`${entry.key} acked before its result was written`);
        entry.acked = true;
        entry.leasedBy = undefined;
        acks.push(entry.key);
      },
      nack() {
        if (entry.leasedBy === reader && !entry.acked) entry.leasedBy = undefined;
      },
    };
  }

  function readerOf(message: SourceMessage<T>): number {
    return (message as SourceMessage<T> & { reader?: number }).reader ?? 0;
  }
}
