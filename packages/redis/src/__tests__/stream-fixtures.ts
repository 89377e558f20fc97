/**
 * What the pipeline tests share: review records written into an input stream,
 * the output read back grouped by `input_id` (the way a downstream consumer
 * dedupes), and waiting for a group to have nothing left to read or ack.
 */
import type { createClient } from '@redis/client';

type Admin = ReturnType<typeof createClient>;

/** Deterministic short reviews: positive, negative and neutral in turn. */
export function reviews(count: number, from = 0): string[] {
  const good = ['great', 'excellent', 'love it', 'fantastic', 'works perfectly'];
  const bad = ['terrible', 'broke', 'awful', 'disappointed', 'waste of money'];
  const flat = ['arrived on Tuesday', 'it is blue', 'came in a box', 'has two buttons'];
  return Array.from({ length: count }, (_, n) => {
    const i = n + from;
    const pick = (list: string[]) => list[(i * 7 + Math.floor(i / 3)) % list.length]!;
    const kind = i % 3;
    return `Review ${i}: ${kind === 0 ? pick(good) : kind === 1 ? pick(bad) : pick(flat)}.`;
  });
}

/** Appends each record (as JSON in the field `record`), in order, in one MULTI; returns the entry ids. */
export async function addRecords(admin: Admin, stream: string, records: unknown[]): Promise<string[]> {
  const multi = admin.multi();
  for (const record of records) multi.xAdd(stream, '*', { record: JSON.stringify(record) });
  return (await multi.exec()).map(String);
}

/** A parsed output entry. */
export interface OutputEntry {
  id: string;
  inputId: string;
  result: { value?: unknown; error?: { code: string; message: string } };
  fields: Record<string, string>;
}

/** Every entry of an output stream, in order. */
export async function readOutput(admin: Admin, stream: string): Promise<OutputEntry[]> {
  return (await admin.xRange(stream, '-', '+')).map((entry) => ({
    id: entry.id,
    inputId: String(entry.message.input_id),
    result: JSON.parse(String(entry.message.result)) as OutputEntry['result'],
    fields: { ...entry.message } as Record<string, string>,
  }));
}

/** Output entries grouped by `input_id`, in the order they were written (the first is what a deduping consumer keeps). */
export function byInputId(entries: OutputEntry[]): Map<string, OutputEntry[]> {
  const grouped = new Map<string, OutputEntry[]>();
  for (const entry of entries) grouped.set(entry.inputId, [...(grouped.get(entry.inputId) ?? []), entry]);
  return grouped;
}

/** The group's delivery state: entries pending (read, not acked) and the last id handed out. */
export async function groupState(admin: Admin, stream: string, group: string): Promise<{ pending: number; lastDelivered: string }> {
  const info = (await admin.xInfoGroups(stream)).find((g) => String(g.name) === group);
  if (!info) throw new Error(`no group ${group} on ${stream}`);
  return { pending: Number(info.pending), lastDelivered: String(info['last-delivered-id']) };
}

/** Pending entries per consumer of the group. */
export async function pendingByConsumer(admin: Admin, stream: string, group: string): Promise<Record<string, number>> {
  const summary = await admin.xPending(stream, group);
  return Object.fromEntries((summary.consumers ?? []).map((c) => [String(c.name), Number(c.deliveriesCounter)]));
}

/** Resolves once the group has handed out `lastId` and every entry is acked; polls every 50 ms. */
export async function waitUntilDrained(admin: Admin, stream: string, group: string, lastId: string, timeoutMs = 60_000): Promise<void> {
  await waitFor(async () => {
    const state = await groupState(admin, stream, group);
    return state.pending === 0 && state.lastDelivered === lastId;
  }, timeoutMs, `group ${group} on ${stream} to read and ack up to ${lastId}`);
}

/** Polls `condition` every 50 ms until it holds; throws naming `what` after `timeoutMs`. */
export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
