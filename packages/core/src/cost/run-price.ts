/**
 * The price a run counts its tokens at: the `price` option over the price
 * table's entry for the model. A model the table does not know has a price only
 * when the option gives both input and output; nothing is guessed.
 */
import { priceFor, type ModelPrice } from './price-table.js';

/** The `price` option: USD per million tokens, each field over the table's. */
export interface PriceOption {
  inputPerMillion?: number;
  /** Prompt tokens served from the provider's prompt cache. */
  cachedInputPerMillion?: number;
  outputPerMillion?: number;
  /** The share the provider's Batch API takes off (0.5: half price), for `predictDeferred`. */
  batchDiscount?: number;
}

/**
 * @returns the run's price, or undefined when neither the table nor the option knows it
 * @throws TypeError when the option prices a model the table does not know, but only in part
 * @example
 * runPrice('openai:gpt-4o-mini')                         // → the table's: { inputPerMillion: 0.15, cachedInputPerMillion: 0.075, outputPerMillion: 0.6, batchDiscount: 0.5 }
 * runPrice('openai:gpt-4o-mini', { outputPerMillion: 1 }) // → { inputPerMillion: 0.15, cachedInputPerMillion: 0.075, outputPerMillion: 1, batchDiscount: 0.5 }
 * runPrice('my-finetune', { inputPerMillion: 1, outputPerMillion: 2 }) // → { inputPerMillion: 1, outputPerMillion: 2, batchDiscount: 0 }
 * runPrice('my-finetune')                                // → undefined
 */
export function runPrice(modelName: string, option?: PriceOption, caller = 'mlPredict'): ModelPrice | undefined {
  const listed = priceFor(modelName);
  if (option === undefined) return listed;
  if (!listed && (option.inputPerMillion === undefined || option.outputPerMillion === undefined)) {
    const missing = [option.inputPerMillion === undefined && 'inputPerMillion', option.outputPerMillion === undefined && 'outputPerMillion'].filter(Boolean).join(' and ');
    throw new TypeError(`${caller}: option "price" needs ${missing}: the price table does not know the model "${modelName}", e.g. price: { inputPerMillion: 0.15, outputPerMillion: 0.6 } (USD per million tokens)`);
  }
  const inputPerMillion = option.inputPerMillion ?? listed!.inputPerMillion;
  // A cached token never costs more than an uncached one; the table's cache price follows a lowered input price.
  const cached = option.cachedInputPerMillion ?? listed?.cachedInputPerMillion;
  return {
    inputPerMillion,
    ...(cached !== undefined && { cachedInputPerMillion: Math.min(cached, inputPerMillion) }),
    outputPerMillion: option.outputPerMillion ?? listed!.outputPerMillion,
    // Unknown to the table and not given: no discount assumed, so a deferred run is never priced below what it may cost.
    batchDiscount: option.batchDiscount ?? listed?.batchDiscount ?? 0,
  };
}
