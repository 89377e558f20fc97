/**
 * `--dry-run`: show what the first request would send — its messages — and an
 * estimate of requests, tokens and cost, from the same batching rule the run
 * uses (size and `maxBatchTokens`), and send nothing. No model is even created.
 */
import type { Writable } from 'node:stream';
import { costOf, type BudgetLimits, type ModelPrice } from '@mlpredict/core';
import { Batcher, estimateTokens, OPENAI_BATCH_LIMITS, PER_RECORD_OVERHEAD_TOKENS, recordText, renderMessages, type ResolvedOptions } from '@mlpredict/core/internals';
import { formatUsd } from './format-summary.js';
import { isBadRow, type InputRow } from './input-row.js';
import type { RunPrice } from './run-price.js';

/** What the estimate is priced with: the run's price, and the model it is for. */
export interface DryRunPricing {
  model: string;
  price?: RunPrice;
  /** The labels answers will be one of, for a closer guess at completion tokens. */
  labels?: readonly string[];
  /** `--max-cost` / `--max-tokens-total`: how far they reach is shown too. */
  budget?: BudgetLimits;
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
  // Each batch's records and their estimated tokens, in order: what a budget reaches is counted batch by batch.
  const planned: Array<{ records: number; tokens: number }> = [];
  let batches = 0;
  let records = 0;
  let recordTokens = 0;
  let unreadable = 0;
  let tooLarge = 0;
  const maxTokens = resolved.batching.maxTokens;
  const batcher = new Batcher<PlannedRecord>({ ...resolved.batching, timeoutMs: Infinity }, (r) => r.tokens, (batch) => {
    batches++;
    first ??= batch;
    planned.push({ records: batch.length, tokens: batch.reduce((sum, r) => sum + r.tokens, 0) });
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
  const { votes } = resolved.repair;
  const requests = batches * votes;
  const answerTokens = completionTokensPerRecord(resolved, pricing?.labels);
  const once = { promptTokens: batches * overhead + recordTokens, completionTokens: answerTokens * records };
  const usage = { promptTokens: once.promptTokens * votes, completionTokens: once.completionTokens * votes };
  print(`\n≈ ${firstPrompt} prompt tokens for this request (estimated at about 4 characters a token).`);
  const scope = `all ${records} record${records === 1 ? '' : 's'}`;
  print(`≈ ${requests} request${requests === 1 ? '' : 's'}, ≈ ${usage.promptTokens} prompt tokens and ≈ ${usage.completionTokens} completion tokens for ${scope}, before retries.`);
  if (!pricing) return first.length;
  const price = pricing.price?.price;
  print('');
  print(
    costTable([
      { how: 'real time', requests, usage, cost: price && costOf(usage, price) },
      // A job sends each batch once: votes are for real-time runs only.
      votes > 1
        ? { how: 'deferred', note: 'n/a: --votes is for real-time runs' }
        : { how: 'deferred', requests: batches, usage: once, cost: price && costOf(once, price, { batch: true }), note: deferredNote(batches, price) },
    ]),
  );
  print(priceLine(pricing, answerTokens));
  if (pricing.budget) print(budgetLine(pricing.budget, planned, { overhead, answerTokens, votes, price }));
  return first.length;
}

interface CostRow {
  how: string;
  requests?: number;
  usage?: { promptTokens: number; completionTokens: number };
  cost?: number;
  note?: string;
}

/** Real time and deferred side by side: requests, tokens, dollars. */
function costTable(rows: CostRow[]): string {
  const cells = rows.map((r) => [r.how, r.requests === undefined ? '' : String(r.requests), r.usage ? String(r.usage.promptTokens) : '', r.usage ? String(r.usage.completionTokens) : '', r.cost === undefined ? (r.usage ? '?' : '') : `≈ ${formatUsd(r.cost)}`, r.note ?? '']);
  const head = ['', 'requests', 'prompt tokens', 'completion tokens', 'cost', ''];
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => `  ${c.map((text, i) => (i === 0 || i === c.length - 1 ? text.padEnd(widths[i]!) : text.padStart(widths[i]!))).join('  ')}`.trimEnd();
  return [line(head), ...cells.map(line)].join('\n');
}

function deferredNote(batches: number, price: ModelPrice | undefined): string {
  const jobs = Math.ceil(batches / OPENAI_BATCH_LIMITS.maxRequests);
  const discount = price ? (price.batchDiscount > 0 ? `${Math.round(price.batchDiscount * 100)}% off` : 'no discount known') : '';
  return `--deferred: the provider's Batch API${discount ? `, ${discount}` : ''}; ${jobs} job${jobs === 1 ? '' : 's'}, answers within 24 h`;
}

function priceLine(pricing: DryRunPricing, answerTokens: number): string {
  const guess = `answers guessed at ${answerTokens} tokens a record`;
  if (!pricing.price) return `Cost: unknown; the price table does not know the model "${pricing.model}" (give --price-input and --price-output, USD per million tokens); ${guess}.`;
  const { price, source } = pricing.price;
  const cached = price.cachedInputPerMillion === undefined ? '' : ` / $${price.cachedInputPerMillion} cached input`;
  const caching = price.cachedInputPerMillion === undefined ? '' : '; prompt caching, where the provider applies it to the shared start of each prompt, lowers the real-time cost further';
  return `At $${price.inputPerMillion} input${cached} / $${price.outputPerMillion} output per million tokens (${source}); ${guess}${caching}.`;
}

/** How many records `--max-cost` / `--max-tokens-total` reach, real time and deferred, batch by batch in order. */
function budgetLine(budget: BudgetLimits, planned: ReadonlyArray<{ records: number; tokens: number }>, at: { overhead: number; answerTokens: number; votes: number; price?: ModelPrice }): string {
  const reach = (batch: boolean, votes: number) => {
    let spent = { tokens: 0, usd: 0 };
    let covered = 0;
    for (const b of planned) {
      const usage = { promptTokens: (at.overhead + b.tokens) * votes, completionTokens: at.answerTokens * b.records * votes };
      const next = { tokens: spent.tokens + usage.promptTokens + usage.completionTokens, usd: spent.usd + (at.price ? costOf(usage, at.price, { batch }) : 0) };
      if ((budget.maxTokens !== undefined && next.tokens > budget.maxTokens) || (budget.maxCostUsd !== undefined && next.usd > budget.maxCostUsd)) break;
      spent = next;
      covered += b.records;
    }
    return covered;
  };
  const total = planned.reduce((sum, b) => sum + b.records, 0);
  const limits = [budget.maxCostUsd !== undefined && `--max-cost $${budget.maxCostUsd}`, budget.maxTokens !== undefined && `--max-tokens-total ${budget.maxTokens}`].filter(Boolean).join(' and ');
  const deferred = at.votes > 1 ? '' : ` and ≈ ${reach(true, 1)} deferred`;
  return `Budget: ${limits} reaches ≈ ${reach(false, at.votes)} of ${total} records in real time${deferred}; the rest would get the "budget" error.`;
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

/** The record's text as the run takes it, or undefined when it would be a `bad_input` row. */
function textOf(record: unknown, resolved: ResolvedOptions): string | undefined {
  try {
    return recordText(record, resolved.prompt);
  } catch {
    return undefined;
  }
}
