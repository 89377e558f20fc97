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
 * The usage with every count that isn't one dropped to 0; undefined when neither
 * prompt nor completion is a count. Cached prompt tokens are kept only when they
 * are a count, and never above the prompt tokens they are part of.
 *
 * @example
 * finiteUsage({ promptTokens: 10, completionTokens: NaN }) // → { promptTokens: 10, completionTokens: 0 }
 * finiteUsage({ promptTokens: 10, completionTokens: 2, cachedPromptTokens: 8 }) // → { promptTokens: 10, completionTokens: 2, cachedPromptTokens: 8 }
 * finiteUsage({ promptTokens: 'lots', completionTokens: undefined }) // → undefined
 */
export function finiteUsage(usage: { promptTokens?: unknown; completionTokens?: unknown; cachedPromptTokens?: unknown } | null | undefined): TokenUsage | undefined {
  if (usage === null || typeof usage !== 'object') return undefined;
  const promptTokens = tokenCount(usage.promptTokens);
  const completionTokens = tokenCount(usage.completionTokens);
  const counted = promptTokens === usage.promptTokens || completionTokens === usage.completionTokens;
  if (!counted) return undefined;
  const cached = usage.cachedPromptTokens;
  const isCount = typeof cached === 'number' && Number.isFinite(cached) && cached >= 0;
  return isCount ? { promptTokens, completionTokens, cachedPromptTokens: Math.min(cached, promptTokens) } : { promptTokens, completionTokens };
}

/**
 * An OpenAI `usage` object (chat completions, Batch API output lines) as counts:
 * `prompt_tokens`, `completion_tokens` and `prompt_tokens_details.cached_tokens`.
 *
 * @example
 * openAIUsage({ prompt_tokens: 1200, completion_tokens: 40, prompt_tokens_details: { cached_tokens: 1024 } })
 * // → { promptTokens: 1200, completionTokens: 40, cachedPromptTokens: 1024 }
 */
export function openAIUsage(usage: unknown): TokenUsage | undefined {
  if (usage === null || typeof usage !== 'object' || Array.isArray(usage)) return undefined;
  const u = usage as { prompt_tokens?: unknown; completion_tokens?: unknown; prompt_tokens_details?: unknown };
  const details = u.prompt_tokens_details !== null && typeof u.prompt_tokens_details === 'object' ? (u.prompt_tokens_details as { cached_tokens?: unknown }) : undefined;
  return finiteUsage({ promptTokens: u.prompt_tokens, completionTokens: u.completion_tokens, cachedPromptTokens: details?.cached_tokens });
}

/**
 * Two usages added up; cached prompt tokens are kept when either has them.
 *
 * @example
 * addUsage({ promptTokens: 10, completionTokens: 2 }, { promptTokens: 5, completionTokens: 1, cachedPromptTokens: 4 })
 * // → { promptTokens: 15, completionTokens: 3, cachedPromptTokens: 4 }
 */
export function addUsage(a: TokenUsage, b: TokenUsage): TokenUsage {
  const sum: TokenUsage = { promptTokens: a.promptTokens + b.promptTokens, completionTokens: a.completionTokens + b.completionTokens };
  if (a.cachedPromptTokens !== undefined || b.cachedPromptTokens !== undefined) sum.cachedPromptTokens = (a.cachedPromptTokens ?? 0) + (b.cachedPromptTokens ?? 0);
  return sum;
}

/**
 * One record's even share of a request's usage, over `records` records.
 *
 * @example
 * usageShare({ promptTokens: 100, completionTokens: 20, cachedPromptTokens: 40 }, 4) // → { promptTokens: 25, completionTokens: 5, cachedPromptTokens: 10 }
 */
export function usageShare(usage: TokenUsage, records: number): TokenUsage {
  const share: TokenUsage = { promptTokens: usage.promptTokens / records, completionTokens: usage.completionTokens / records };
  if (usage.cachedPromptTokens !== undefined) share.cachedPromptTokens = usage.cachedPromptTokens / records;
  return share;
}
