/**
 * Deterministic embeddings: the same text always gets the same unit vector, and
 * different texts (almost surely) different ones, so tests can check order and
 * caching without a model.
 */
import { createHash } from 'node:crypto';

/** Dimensions when the request and options name none. */
export const DEFAULT_EMBEDDING_DIMENSIONS = 8;

/**
 * @example
 * embeddingFor('hello');             // → 8 numbers, length 1, the same on every call
 * embeddingFor('hello', 3).length;   // → 3
 */
export function embeddingFor(text: string, dimensions: number = DEFAULT_EMBEDDING_DIMENSIONS): number[] {
  const vector: number[] = [];
  // Enough hash bytes for every dimension: one SHA-256 per 8 dimensions.
  for (let block = 0; vector.length < dimensions; block++) {
    const digest = createHash('sha256').update(`${block}:${text}`).digest();
    for (let i = 0; i < 8 && vector.length < dimensions; i++) vector.push(digest.readInt32BE(i * 4) / 2 ** 31);
  }
  const norm = Math.hypot(...vector) || 1;
  return vector.map((x) => x / norm);
}

/**
 * An embeddings request's `input` as texts: a string, strings, or token arrays
 * (hashed by their JSON); undefined when it is none of those.
 *
 * @example
 * embeddingInputs(['a', 'b']); // → ['a', 'b']
 * embeddingInputs([1, 2]);     // → ['[1,2]']
 * embeddingInputs(42);         // → undefined
 */
export function embeddingInputs(input: unknown): string[] | undefined {
  if (typeof input === 'string') return [input];
  if (!Array.isArray(input)) return undefined;
  if (input.length > 0 && input.every((x) => typeof x === 'number')) return [JSON.stringify(input)];
  if (input.every((x) => typeof x === 'string')) return input as string[];
  if (input.every((x) => Array.isArray(x) && x.every((t) => typeof t === 'number'))) return input.map((x) => JSON.stringify(x));
  return undefined;
}
