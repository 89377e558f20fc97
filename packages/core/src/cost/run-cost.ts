/**
 * A run's cost settings (the `price` and `budget` options) made into what the
 * run uses: its price, and one budget shared by every request it makes.
 */
import type { ModelPrice } from './price-table.js';
import { RunBudget, type BudgetLimits } from './run-budget.js';
import { runPrice, type PriceOption } from './run-price.js';

/** The `price` and `budget` options, validated. */
export interface CostSettings {
  price?: PriceOption;
  budget?: BudgetLimits;
}

/** What a run counts its spending with. */
export interface RunCost {
  /** Undefined when neither the price table nor the `price` option knows the model: costs are then not shown. */
  price?: ModelPrice;
  budget?: RunBudget;
}

/**
 * @throws TypeError when `budget.maxCostUsd` is set and the model has no price
 * @example
 * const { price, budget } = runCost(model.name, resolved.cost);
 */
export function runCost(modelName: string, settings: CostSettings, caller = 'mlPredict'): RunCost {
  const price = runPrice(modelName, settings.price, caller);
  if (settings.budget?.maxCostUsd !== undefined && !price) {
    throw new TypeError(
      `${caller}: option "budget.maxCostUsd" needs a price, and the price table does not know the model "${modelName}": ` +
        'give the "price" option (USD per million tokens), e.g. price: { inputPerMillion: 0.15, outputPerMillion: 0.6 }, or use budget.maxTokens',
    );
  }
  return { ...(price && { price }), ...(settings.budget && { budget: new RunBudget(settings.budget, price) }) };
}
