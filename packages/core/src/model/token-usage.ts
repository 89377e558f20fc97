/**
 * Token counts as providers report them, kept only when they are counts: a
 * server that sends `"prompt_tokens": "lots"` (or `NaN`, or `-3`) must not turn a
 * run's totals into `NaN` or `"0lots"`.
 */
import type { TokenUsage } from './model.js';

/**
 * A finite, non-negative number, else 0.
 *
 * @example
 * tokenCount(12)     // → 12
 * tokenCount('lots') // → 0
 */
export function tokenCount(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : 0;
}

/**
 * The usage with every count that isn't one dropped to 0; undefined when neither is a count.
 *
 * @example
 * finiteUsage({ promptTokens: 10, completionTokens: NaN }) // → { promptTokens: 10, completionTokens: 0 }
 * finiteUsage({ promptTokens: 'lots', completionTokens: undefined }) // → undefined
 */
export function finiteUsage(usage: { promptTokens?: unknown; completionTokens?: unknown } | null | undefined): TokenUsage | undefined {
  if (usage === null || typeof usage !== 'object') return undefined;
  const promptTokens = tokenCount(usage.promptTokens);
  const completionTokens = tokenCount(usage.completionTokens);
  const counted = promptTokens === usage.promptTokens || completionTokens === usage.completionTokens;
  return counted ? { promptTokens, completionTokens } : undefined;
}
