/**
 * The price a run's tokens are counted at: the core's table for the model, with
 * `--price-input` / `--price-output` (USD per million tokens) over it. A model
 * the table does not know has no cost, rather than a guessed one.
 */
import { priceFor, type ModelPrice } from '@mlpredict/core';
import { UsageError } from './usage-error.js';

export interface RunPrice {
  price: ModelPrice;
  /** Where it came from, for the summary: `gpt-4o-mini list price` or `--price-input/--price-output`. */
  source: string;
}

/**
 * @example
 * runPrice('gpt-4o-mini', undefined, undefined) // → { price: { inputPerMillion: 0.15, … }, source: 'gpt-4o-mini list price' }
 * runPrice('my-model', '1', '2')                // → { price: { inputPerMillion: 1, outputPerMillion: 2, batchDiscount: 0 }, source: '--price-input/--price-output' }
 * runPrice('my-model', undefined, undefined)    // → undefined
 */
export function runPrice(model: string, input: string | undefined, output: string | undefined): RunPrice | undefined {
  const listed = priceFor(model);
  const inputPerMillion = perMillion('--price-input', input);
  const outputPerMillion = perMillion('--price-output', output);
  if (inputPerMillion === undefined && outputPerMillion === undefined) return listed && { price: listed, source: `${model} list price` };
  if (!listed && (inputPerMillion === undefined || outputPerMillion === undefined)) {
    const missing = inputPerMillion === undefined ? '--price-input' : '--price-output';
    throw new UsageError(`${missing} is needed too: the price table does not know the model "${model}"`);
  }
  const price: ModelPrice = listed
    ? {
        ...listed,
        ...(inputPerMillion !== undefined && { inputPerMillion, cachedInputPerMillion: Math.min(inputPerMillion, listed.cachedInputPerMillion ?? inputPerMillion) }),
        ...(outputPerMillion !== undefined && { outputPerMillion }),
      }
    : { inputPerMillion: inputPerMillion!, outputPerMillion: outputPerMillion!, batchDiscount: 0 };
  const partial = inputPerMillion === undefined || outputPerMillion === undefined;
  return { price, source: partial ? `--price-input/--price-output over the ${model} list price` : '--price-input/--price-output' };
}

function perMillion(flag: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value < 0) throw new UsageError(`${flag}: expected USD per million tokens (a number ≥ 0), got "${raw}"`);
  return value;
}
