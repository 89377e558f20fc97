/** Shared set-up for the HTTP suites: a simulator, a model on it, a record set with known answers. */
import { openAIModel, type PredictResult } from '@mlpredict/core';
import { sentimentOf } from '@mlpredict/testing';

export const reviews = (n: number): string[] => {
  const good = ['great', 'excellent', 'love it', 'fantastic', 'works perfectly'];
  const bad = ['terrible', 'broke', 'awful', 'disappointed', 'waste of money'];
  const flat = ['arrived on Tuesday', 'it is blue', 'came in a box', 'has two buttons'];
  return Array.from({ length: n }, (_, i) => {
    const pick = (list: string[]) => list[(i * 7 + Math.floor(i / 3)) % list.length]!;
    const kind = i % 3;
    return `Review ${i}: ${kind === 0 ? pick(good) : kind === 1 ? pick(bad) : pick(flat)}.`;
  });
};

export const modelAt = (url: string, extra: Record<string, unknown> = {}) => openAIModel({ model: 'sim', baseURL: url, apiKey: 'test-key', ...extra });

/** Every input exactly once, in order. */
export function expectExactlyOnceInOrder<T>(results: PredictResult<T>[], inputs: T[]): void {
  expect(results.map((r) => r.seq)).toEqual(inputs.map((_, i) => i));
  expect(results.map((r) => r.input)).toEqual(inputs);
  for (const r of results) expect((r.value === undefined) !== (r.error === undefined)).toBe(true);
}

/** Values present are all right (no silent wrong values); returns how many are right. */
export function countRight(results: PredictResult<string>[]): { right: number; wrong: PredictResult<string>[] } {
  const wrong = results.filter((r) => r.value !== undefined && r.value !== sentimentOf(r.input));
  return { right: results.filter((r) => r.value === sentimentOf(r.input)).length, wrong };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
