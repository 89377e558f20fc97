/**
 * `--dry-run`: show what the first request would send — its messages — and an
 * estimate of requests, tokens and cost, and send nothing. No model is even created.
 */
import type { Writable } from 'node:stream';
import { costOf, estimateTokens, recordText, renderPrompt, type ResolvedOptions } from '@mlpredict/core';
import { formatUsd } from './format-summary.js';
import { isBadRow, type InputRow } from './input-row.js';
import type { RunPrice } from './run-price.js';

/** What the estimate is priced with: the run's price, and the model it is for. */
export interface DryRunPricing {
  model: string;
  price?: RunPrice;
  /** The labels answers will be one of, for a closer guess at completion tokens. */
  labels?: readonly string[];
}

/**
 * Reads records until the first batch is full (or the input ends) and prints its
 * prompt, then the estimate. Returns how many records the batch holds.
 *
 * @example
 * await dryRun(readJsonl(createReadStream('in.jsonl')), resolveOptions({ valueField: 'sentiment' }), process.stdout, 1000, { model: 'gpt-4o-mini', price });
 */
export async function dryRun(rows: AsyncIterable<InputRow>, resolved: ResolvedOptions, output: Writable, total?: number, pricing?: DryRunPricing): Promise<number> {
  const batch: unknown[] = [];
  let unreadable = 0;
  for await (const row of rows) {
    if (isBadRow(row) || !hasText(row.record, resolved)) unreadable++;
    else batch.push(row.record);
    if (batch.length >= resolved.batchSize) break;
  }
  const print = (text: string) => output.write(`${text}\n`);
  if (batch.length === 0) {
    print(`Dry run: no readable records${unreadable ? ` (${unreadable} unreadable)` : ''}; nothing would be sent.`);
    return 0;
  }
  const messages = renderPrompt(batch, resolved);
  print(`Dry run: the first request would carry ${batch.length} record${batch.length === 1 ? '' : 's'}; nothing was sent.`);
  if (unreadable) print(`(${unreadable} unreadable record${unreadable === 1 ? '' : 's'} read on the way would become bad_input rows.)`);
  for (const message of messages) {
    print(`\n--- ${message.role} ---`);
    print(message.content);
  }
  const promptTokens = messages.reduce((sum, m) => sum + estimateTokens(m.content), 0);
  const answerTokens = completionTokensPerRecord(resolved, pricing?.labels);
  print(`\n≈ ${promptTokens} prompt tokens for this request (estimated at about 4 characters a token).`);
  let usage = { promptTokens, completionTokens: answerTokens * batch.length };
  let scope = 'this request';
  if (total !== undefined && total > batch.length) {
    const requests = Math.ceil(total / resolved.batchSize);
    const perRecord = promptTokens / batch.length;
    usage = { promptTokens: Math.round(perRecord * total), completionTokens: answerTokens * total };
    scope = `all ${total} records`;
    print(`≈ ${requests} request${requests === 1 ? '' : 's'}, ≈ ${usage.promptTokens} prompt tokens and ≈ ${usage.completionTokens} completion tokens for all ${total} records, before retries.`);
  }
  if (pricing) print(costLine(usage, scope, pricing, answerTokens));
  return batch.length;
}

/**
 * The tokens one record's answer takes, `{"index": 12, "answer": …}`: the longest
 * label when labels are known, else a guess of a dozen characters.
 */
function completionTokensPerRecord(resolved: ResolvedOptions, labels: readonly string[] | undefined): number {
  const answer = labels ? labels.reduce((a, b) => (b.length > a.length ? b : a)) : 'x'.repeat(12);
  return estimateTokens(`${JSON.stringify({ [resolved.indexField]: resolved.batchSize, [resolved.valueField ?? 'answer']: answer })}, `);
}

function costLine(usage: { promptTokens: number; completionTokens: number }, scope: string, pricing: DryRunPricing, answerTokens: number): string {
  if (!pricing.price) return `Cost: unknown; the price table does not know the model "${pricing.model}" (give --price-input and --price-output, USD per million tokens).`;
  const { price, source } = pricing.price;
  const cost = costOf(usage, price);
  const batchApi = price.batchDiscount > 0 ? `; ${formatUsd(cost * (1 - price.batchDiscount))} through the provider's Batch API` : '';
  return `≈ ${formatUsd(cost)} for ${scope} at $${price.inputPerMillion} input / $${price.outputPerMillion} output per million tokens (${source}), answers guessed at ${answerTokens} tokens a record${batchApi}.`;
}

/** Whether the operator could take this record's text (else it would be a `bad_input` row). */
function hasText(record: unknown, resolved: ResolvedOptions): boolean {
  try {
    recordText(record, resolved);
    return true;
  } catch {
    return false;
  }
}
