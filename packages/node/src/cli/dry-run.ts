/**
 * `--dry-run`: show what the first request would send — its messages — and an
 * estimate of requests, tokens and cost, from the same batching rule the run
 * uses (size and `maxBatchTokens`), and send nothing. No model is even created.
 */
import type { Writable } from 'node:stream';
import { costOf } from '@mlpredict/core';
import { Batcher, estimateTokens, PER_RECORD_OVERHEAD_TOKENS, recordText, renderMessages, type ResolvedOptions } from '@mlpredict/core/internals';
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

/** A readable record as the batching stage sees it. */
interface PlannedRecord {
  input: unknown;
  text: string;
  tokens: number;
}

/**
 * Reads every record, batches them by the run's own rule, prints the first
 * request's prompt, then the number of requests, the tokens and the cost for
 * the whole input. Returns how many records the first request holds.
 *
 * @example
 * await dryRun(readJsonl(createReadStream('in.jsonl')), resolveOptions({ valueField: 'sentiment' }), process.stdout, undefined, { model: 'gpt-4o-mini', price });
 */
export async function dryRun(rows: AsyncIterable<InputRow>, resolved: ResolvedOptions, output: Writable, _total?: number, pricing?: DryRunPricing): Promise<number> {
  let first: PlannedRecord[] | undefined;
  let batches = 0;
  let records = 0;
  let recordTokens = 0;
  let unreadable = 0;
  let tooLarge = 0;
  const maxTokens = resolved.batching.maxTokens;
  const batcher = new Batcher<PlannedRecord>({ ...resolved.batching, timeoutMs: Infinity }, (r) => r.tokens, (batch) => {
    batches++;
    first ??= batch;
  });
  for await (const row of rows) {
    const text = isBadRow(row) ? undefined : textOf(row.record, resolved);
    if (isBadRow(row) || text === undefined) {
      unreadable++;
      continue;
    }
    const tokens = estimateTokens(text) + PER_RECORD_OVERHEAD_TOKENS;
    if (maxTokens !== undefined && tokens > maxTokens) {
      tooLarge++;
      continue;
    }
    records++;
    recordTokens += tokens;
    batcher.add({ input: row.record, text, tokens });
  }
  batcher.flush();

  const print = (text: string) => output.write(`${text}\n`);
  const skipped = [unreadable && `${unreadable} unreadable (bad_input)`, tooLarge && `${tooLarge} over maxBatchTokens alone (too_large)`].filter(Boolean).join(', ');
  if (!first) {
    print(`Dry run: no readable records${skipped ? ` (${skipped})` : ''}; nothing would be sent.`);
    return 0;
  }
  const messages = renderMessages(first, resolved.prompt);
  print(`Dry run: the first request would carry ${first.length} record${first.length === 1 ? '' : 's'}; nothing was sent.`);
  if (skipped) print(`(${skipped}: these rows would get an error without a request.)`);
  for (const message of messages) {
    print(`\n--- ${message.role} ---`);
    print(message.content);
  }
  const firstPrompt = messages.reduce((sum, m) => sum + estimateTokens(m.content), 0);
  // What a request spends around its records (system prompt, instruction, format), from the first one.
  const overhead = Math.max(0, firstPrompt - first.reduce((sum, r) => sum + r.tokens, 0));
  const requests = batches * resolved.repair.votes;
  const answerTokens = completionTokensPerRecord(resolved, pricing?.labels);
  const usage = { promptTokens: (batches * overhead + recordTokens) * resolved.repair.votes, completionTokens: answerTokens * records * resolved.repair.votes };
  print(`\n≈ ${firstPrompt} prompt tokens for this request (estimated at about 4 characters a token).`);
  const scope = `all ${records} record${records === 1 ? '' : 's'}`;
  print(`≈ ${requests} request${requests === 1 ? '' : 's'}, ≈ ${usage.promptTokens} prompt tokens and ≈ ${usage.completionTokens} completion tokens for ${scope}, before retries.`);
  if (pricing) print(costLine(usage, scope, pricing, answerTokens));
  return first.length;
}

/**
 * The tokens one record's answer takes, `{"index": 12, "answer": …}`: the longest
 * label when labels are known, else a guess of a dozen characters.
 */
function completionTokensPerRecord(resolved: ResolvedOptions, labels: readonly string[] | undefined): number {
  const answer = labels ? labels.reduce((a, b) => (b.length > a.length ? b : a)) : 'x'.repeat(12);
  const { indexField, valueField = 'answer' } = resolved.parse.read;
  return estimateTokens(`${JSON.stringify({ [indexField]: resolved.batching.size, [valueField]: answer })}, `);
}

function costLine(usage: { promptTokens: number; completionTokens: number }, scope: string, pricing: DryRunPricing, answerTokens: number): string {
  if (!pricing.price) return `Cost: unknown; the price table does not know the model "${pricing.model}" (give --price-input and --price-output, USD per million tokens).`;
  const { price, source } = pricing.price;
  const cost = costOf(usage, price);
  const batchApi = price.batchDiscount > 0 ? `; ${formatUsd(cost * (1 - price.batchDiscount))} through the provider's Batch API` : '';
  return `≈ ${formatUsd(cost)} for ${scope} at $${price.inputPerMillion} input / $${price.outputPerMillion} output per million tokens (${source}), answers guessed at ${answerTokens} tokens a record${batchApi}.`;
}

/** The record's text as the run takes it, or undefined when it would be a `bad_input` row. */
function textOf(record: unknown, resolved: ResolvedOptions): string | undefined {
  try {
    return recordText(record, resolved.prompt);
  } catch {
    return undefined;
  }
}
