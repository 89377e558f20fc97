/**
 * What one record of an answered request spent: the request's usage split
 * evenly over its records, and that share's cost at the run's price. The
 * real-time and the deferred paths both settle records with it.
 */
import type { TokenUsage } from '../model/model.js';
import { usageShare } from '../model/token-usage.js';
import { costOf, type ModelPrice } from '../cost/price-table.js';

/**
 * @param batch priced at the Batch API's discount (a `predictDeferred` line)
 * @example
 * recordShare({ promptTokens: 1000, completionTokens: 200 }, 20, priceFor('gpt-4o-mini'))
 * // → { usage: { promptTokens: 50, completionTokens: 10 }, costUsd: 0.0000135 }
 */
export function recordShare(usage: TokenUsage, records: number, price: ModelPrice | undefined, options: { batch?: boolean } = {}): { usage: TokenUsage; costUsd?: number } {
  const share = usageShare(usage, records);
  return price ? { usage: share, costUsd: costOf(share, price, options) } : { usage: share };
}
