/**
 * Splits a round's request lines into jobs at the provider's limits (OpenAI: at
 * most 50,000 requests and 200 MB per input file), in order, each job as full as
 * the limits allow.
 */
import type { BatchLimits } from '../model/model.js';

/** Lines `[first, end)` of a round, and the bytes of their input (each line plus its line break). */
export interface PartSlice {
  first: number;
  end: number;
  bytes: number;
}

/**
 * @param lineBytes each line's size in bytes, without its line break
 * @example
 * splitParts([10, 10, 10], { maxRequests: 2, maxBytes: 1000 }) // → [{ first: 0, end: 2, bytes: 22 }, { first: 2, end: 3, bytes: 11 }]
 */
export function splitParts(lineBytes: readonly number[], limits: BatchLimits): PartSlice[] {
  const parts: PartSlice[] = [];
  let current: PartSlice | undefined;
  lineBytes.forEach((size, index) => {
    const bytes = size + 1;
    if (bytes > limits.maxBytes) {
      throw new Error(`predictDeferred: request line ${index} is ${bytes} bytes, over the Batch API's ${limits.maxBytes} bytes per job; use a smaller batchSize or maxBatchTokens`);
    }
    if (current === undefined || current.end - current.first >= limits.maxRequests || current.bytes + bytes > limits.maxBytes) {
      current = { first: index, end: index, bytes: 0 };
      parts.push(current);
    }
    current.end = index + 1;
    current.bytes += bytes;
  });
  return parts;
}
