/**
 * What tokens cost: list prices of common models and the arithmetic, so a CLI
 * progress line or a budget can say "$0.42 so far". Prices change; the table is
 * a dated snapshot and every caller should let the user override it.
 */
import type { TokenUsage } from '../model/model.js';

/** A model's list price, in USD per million tokens. */
export interface ModelPrice {
  /** Prompt tokens. */
  inputPerMillion: number;
  /** Prompt tokens the provider served from its prompt cache; `inputPerMillion` when it has no cache price. */
  cachedInputPerMillion?: number;
  /** Completion tokens (reasoning tokens included, which bill as output). */
  outputPerMillion: number;
  /** The share taken off through the provider's Batch API (0.5: half price); 0 when it has none. */
  batchDiscount: number;
}

/** Token counts to price; `cachedPromptTokens` is the part of `promptTokens` served from the cache. */
export type PricedUsage = TokenUsage;

const price = (inputPerMillion: number, cachedInputPerMillion: number | undefined, outputPerMillion: number, batchDiscount = 0.5): ModelPrice => ({
  inputPerMillion,
  ...(cachedInputPerMillion !== undefined && { cachedInputPerMillion }),
  outputPerMillion,
  batchDiscount,
});

/**
 * List prices, USD per million tokens (input, cached input, output; Batch API at
 * half price). Taken from the OpenAI, Anthropic and Google pricing pages as they
 * stood in August 2025 (standard tier; Gemini 2.5 Pro for prompts up to 200k
 * tokens). Check them before relying on a cost figure.
 */
export const MODEL_PRICES: Readonly<Record<string, ModelPrice>> = {
  // OpenAI
  'gpt-5': price(1.25, 0.125, 10),
  'gpt-5-chat': price(1.25, 0.125, 10),
  'gpt-5-mini': price(0.25, 0.025, 2),
  'gpt-5-nano': price(0.05, 0.005, 0.4),
  'gpt-4.1': price(2, 0.5, 8),
  'gpt-4.1-mini': price(0.4, 0.1, 1.6),
  'gpt-4.1-nano': price(0.1, 0.025, 0.4),
  'gpt-4o': price(2.5, 1.25, 10),
  'gpt-4o-mini': price(0.15, 0.075, 0.6),
  'gpt-4-turbo': price(10, undefined, 30),
  'gpt-3.5-turbo': price(0.5, undefined, 1.5),
  o3: price(2, 0.5, 8),
  'o3-mini': price(1.1, 0.55, 4.4),
  'o4-mini': price(1.1, 0.275, 4.4),
  'text-embedding-3-small': price(0.02, undefined, 0),
  'text-embedding-3-large': price(0.13, undefined, 0),
  // Anthropic (cached input: cache reads)
  'claude-opus-4': price(15, 1.5, 75),
  'claude-opus-4-1': price(15, 1.5, 75),
  'claude-sonnet-4': price(3, 0.3, 15),
  'claude-3-7-sonnet': price(3, 0.3, 15),
  'claude-3-5-sonnet': price(3, 0.3, 15),
  'claude-3-5-haiku': price(0.8, 0.08, 4),
  'claude-3-haiku': price(0.25, 0.03, 1.25),
  // Google
  'gemini-2.5-pro': price(1.25, 0.31, 10),
  'gemini-2.5-flash': price(0.3, 0.075, 2.5),
  'gemini-2.5-flash-lite': price(0.1, 0.025, 0.4),
  'gemini-2.0-flash': price(0.1, 0.025, 0.4),
  'gemini-1.5-flash': price(0.075, 0.01875, 0.3),
};

/**
 * The list price of a model id, or `undefined` when the table does not know it.
 * A provider prefix (`openai:`, `openai/`), a date or version suffix
 * (`-2024-07-18`, `-20250514`, `-0125`, `-001`) and `-latest` are ignored; nothing else
 * is guessed, so `o3-pro` is unknown rather than priced as `o3`.
 *
 * @example
 * priceFor('gpt-4o-mini-2024-07-18') // → { inputPerMillion: 0.15, cachedInputPerMillion: 0.075, outputPerMillion: 0.6, batchDiscount: 0.5 }
 * priceFor('my-finetune')            // → undefined
 */
export function priceFor(modelId: string): ModelPrice | undefined {
  const id = modelId.trim().toLowerCase().replace(/^[\w.-]+[:/]/, '');
  const bare = id.replace(/-latest$/, '').replace(/-(\d{4}-\d{2}-\d{2}|\d{8}|\d{4}|\d{3})$/, '');
  return Object.hasOwn(MODEL_PRICES, id) ? MODEL_PRICES[id] : Object.hasOwn(MODEL_PRICES, bare) ? MODEL_PRICES[bare] : undefined;
}

/**
 * What `usage` costs at `price`, in USD; with `{ batch: true }`, at the Batch API's discount.
 *
 * @example
 * costOf({ promptTokens: 1_000_000, completionTokens: 100_000 }, priceFor('gpt-4o-mini')!) // → 0.21
 * costOf({ promptTokens: 1_000_000, completionTokens: 0 }, priceFor('gpt-4o-mini')!, { batch: true }) // → 0.075
 */
export function costOf(usage: PricedUsage, price: ModelPrice, options: { batch?: boolean } = {}): number {
  const cached = Math.min(Math.max(usage.cachedPromptTokens ?? 0, 0), usage.promptTokens);
  const full = (usage.promptTokens - cached) * price.inputPerMillion + cached * (price.cachedInputPerMillion ?? price.inputPerMillion) + usage.completionTokens * price.outputPerMillion;
  return (full / 1e6) * (options.batch ? 1 - price.batchDiscount : 1);
}
