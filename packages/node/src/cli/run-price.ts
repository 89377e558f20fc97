/**
 * The price a run's tokens are counted at: the core's (the `price` option of a
 * `--config` file over the price table's entry for the model), with
 * `--price-input` / `--price-cached-input` / `--price-output` (USD per million
 * tokens) over it. A model nobody prices has no cost, rather than a guessed one.
 */
import { priceFor, type ModelPrice, type PriceOption } from '@mlpredict/core';
import { runPrice as corePrice } from '@mlpredict/core/internals';
import { UsageError } from './usage-error.js';

export interface RunPrice {
  price: ModelPrice;
  /** Where it came from, for the summary: `gpt-4o-mini list price` or `--price-input/--price-output`. */
  source: string;
}

/** The price flags as given. */
export interface PriceFlags {
  input?: string;
  cachedInput?: string;
  output?: string;
}

/**
 * @param option the `price` option of a `--config` file, if any
 * @example
 * runPrice('gpt-4o-mini', {})                          // → { price: { inputPerMillion: 0.15, … }, source: 'gpt-4o-mini list price' }
 * runPrice('my-model', { input: '1', output: '2' })    // → { price: { inputPerMillion: 1, outputPerMillion: 2, batchDiscount: 0 }, source: '--price-input/--price-output' }
 * runPrice('my-model', {})                             // → undefined
 */
export function runPrice(model: string, flags: PriceFlags, option?: PriceOption): RunPrice | undefined {
  const given = {
    inputPerMillion: perMillion('--price-input', flags.input),
    cachedInputPerMillion: perMillion('--price-cached-input', flags.cachedInput),
    outputPerMillion: perMillion('--price-output', flags.output),
  };
  const base = basePrice(model, option);
  const fromFlags = Object.values(given).some((v) => v !== undefined);
  if (!fromFlags) return base;
  if (!base && (given.inputPerMillion === undefined || given.outputPerMillion === undefined)) {
    const missing = given.inputPerMillion === undefined ? '--price-input' : '--price-output';
    throw new UsageError(`${missing} is needed too: the price table does not know the model "${model}"`);
  }
  const inputPerMillion = given.inputPerMillion ?? base!.price.inputPerMillion;
  const cached = given.cachedInputPerMillion ?? base?.price.cachedInputPerMillion;
  const price: ModelPrice = {
    inputPerMillion,
    ...(cached !== undefined && { cachedInputPerMillion: Math.min(cached, inputPerMillion) }),
    outputPerMillion: given.outputPerMillion ?? base!.price.outputPerMillion,
    batchDiscount: base?.price.batchDiscount ?? 0,
  };
  const whole = given.inputPerMillion !== undefined && given.outputPerMillion !== undefined;
  return { price, source: whole || !base ? '--price-input/--price-output' : `--price-input/--price-output over the ${base.source}` };
}

function basePrice(model: string, option: PriceOption | undefined): RunPrice | undefined {
  let price: ModelPrice | undefined;
  try {
    price = corePrice(model, option, 'mlpredict');
  } catch (error) {
    throw new UsageError(`--config: ${(error as Error).message.replace(/^mlpredict: /, '')}`);
  }
  if (!price) return undefined;
  const listed = priceFor(model) !== undefined;
  return { price, source: option ? `"price" of --config${listed ? ` over the ${model} list price` : ''}` : `${model} list price` };
}

function perMillion(flag: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value < 0) throw new UsageError(`${flag}: expected USD per million tokens (a number ≥ 0), got "${raw}"`);
  return value;
}
