/**
 * `--dry-run`: show what the first request would send — its messages and a token
 * estimate — and send nothing. No model is even created.
 */
import type { Writable } from 'node:stream';
import { estimateTokens, recordText, renderMessages, type ResolvedOptions } from '@mlpredict/core/internals';
import { isBadRow, type InputRow } from './input-row.js';

/**
 * Reads records until the first batch is full (or the input ends) and prints its
 * prompt. Returns how many records the batch holds.
 *
 * @example
 * await dryRun(readJsonl(createReadStream('in.jsonl')), resolveOptions({ valueField: 'sentiment' }), process.stdout, 1000);
 */
export async function dryRun(rows: AsyncIterable<InputRow>, resolved: ResolvedOptions, output: Writable, total?: number): Promise<number> {
  const batch: unknown[] = [];
  let unreadable = 0;
  for await (const row of rows) {
    if (isBadRow(row) || !hasText(row.record, resolved)) unreadable++;
    else batch.push(row.record);
    if (batch.length >= resolved.batching.size) break;
  }
  const print = (text: string) => output.write(`${text}\n`);
  if (batch.length === 0) {
    print(`Dry run: no readable records${unreadable ? ` (${unreadable} unreadable)` : ''}; nothing would be sent.`);
    return 0;
  }
  const messages = renderMessages(batch.map((input) => ({ input, text: recordText(input, resolved.prompt) })), resolved.prompt);
  print(`Dry run: the first request would carry ${batch.length} record${batch.length === 1 ? '' : 's'}; nothing was sent.`);
  if (unreadable) print(`(${unreadable} unreadable record${unreadable === 1 ? '' : 's'} read on the way would become bad_input rows.)`);
  for (const message of messages) {
    print(`\n--- ${message.role} ---`);
    print(message.content);
  }
  const promptTokens = messages.reduce((sum, m) => sum + estimateTokens(m.content), 0);
  print(`\n≈ ${promptTokens} prompt tokens for this request (estimated at about 4 characters a token).`);
  if (total !== undefined && total > batch.length) {
    const requests = Math.ceil(total / resolved.batching.size);
    const perRecord = promptTokens / batch.length;
    print(`≈ ${requests} request${requests === 1 ? '' : 's'} and ≈ ${Math.round(perRecord * total)} prompt tokens for all ${total} records, before retries.`);
  }
  return batch.length;
}

/** Whether the operator could take this record's text (else it would be a `bad_input` row). */
function hasText(record: unknown, resolved: ResolvedOptions): boolean {
  try {
    recordText(record, resolved.prompt);
    return true;
  } catch {
    return false;
  }
}
