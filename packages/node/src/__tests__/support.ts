/** Shared set-up for this package's tests: a model on the simulator, counting sources, polling. */
import { Readable } from 'node:stream';
import { openAIModel, type Model } from '@mlpredict/core';

export const modelAt = (url: string): Model => openAIModel({ model: 'sim', baseURL: url, apiKey: 'test-key' });

/** Review texts whose expected sentiment the simulator's rule gives. */
export const reviews = (n: number): string[] => {
  const words = ['great phone', 'it broke, terrible', 'arrived on Tuesday', 'love it', 'awful battery'];
  return Array.from({ length: n }, (_, i) => `Review ${i}: ${words[i % words.length]}`);
};

/** An object-mode Readable of `records` that counts how many it has handed out. */
export function countingSource<T>(records: readonly T[]): Readable & { produced: number } {
  let next = 0;
  const source = new Readable({
    objectMode: true,
    read() {
      if (next < records.length) {
        source.produced++;
        this.push(records[next++]);
      } else {
        this.push(null);
      }
    },
  }) as Readable & { produced: number };
  source.produced = 0;
  return source;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls until `condition` holds, failing with `what` after `timeoutMs`. */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** Waits until `read()` gives the same value for `quietMs` (a source has stopped moving). */
export async function waitUntilSteady(read: () => number, quietMs = 300, timeoutMs = 10_000): Promise<number> {
  const until = Date.now() + timeoutMs;
  let last = read();
  let since = Date.now();
  while (Date.now() - since < quietMs) {
    if (Date.now() > until) throw new Error(`never steady (last ${last})`);
    await sleep(20);
    const now = read();
    if (now !== last) [last, since] = [now, Date.now()];
  }
  return last;
}
