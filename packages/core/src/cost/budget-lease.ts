/**
 * The call path's side of a budget: a request's reservation taken before it is
 * sent — or the `budget` error that keeps it from being sent — and ended with
 * what the server counted.
 */
import { ModelCallError } from '../model/errors.js';
import type { TokenUsage } from '../model/model.js';
import { finiteUsage } from '../model/token-usage.js';
import type { BudgetLease, RunBudget, SpendEstimate } from './run-budget.js';

/**
 * @returns the reservation, or undefined when the run has no budget
 * @throws ModelCallError of kind `budget` when the request does not fit what is left
 * @example
 * const lease = await reserveBudget(policy.budget, { promptTokens: 900, records: 20 }, signal);
 * try { response = await send(); } finally { endLease(lease, response?.usage, response !== undefined); }
 */
export async function reserveBudget(budget: RunBudget | undefined, estimate: SpendEstimate, signal: AbortSignal): Promise<BudgetLease | undefined> {
  if (!budget) return undefined;
  const lease = await budget.reserve(estimate, { signal });
  if (!lease) throw new ModelCallError(budget.refusal(), { kind: 'budget' });
  return lease;
}

/**
 * Ends a reservation: an answered request spends what the server counted (or
 * its estimate, when the server counted nothing usable, or when it timed out and
 * so may have run); a failed one gives it back.
 *
 * @param ran the request was answered, or may have run at the provider (a timeout)
 */
export function endLease(lease: BudgetLease | undefined, usage: TokenUsage | undefined, ran: boolean): void {
  if (!lease) return;
  if (ran) lease.settle(finiteUsage(usage));
  else lease.release();
}
