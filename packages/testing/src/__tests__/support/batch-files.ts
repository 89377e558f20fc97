/** JSONL request files, uploads and downloads for the Batch API tests. */
import OpenAI, { toFile } from 'openai';
import { batchPrompt } from './batch-prompts';

/** One Batch API request line: a chat batch prompt of `texts`. */
export function chatLine(customId: string, texts: readonly string[], body: Record<string, unknown> = {}) {
  return { custom_id: customId, method: 'POST', url: '/v1/chat/completions', body: { model: 'sim-model', messages: [{ role: 'user', content: batchPrompt(texts) }], ...body } };
}

export function jsonl(lines: readonly unknown[]): string {
  return `${lines.map((line) => (typeof line === 'string' ? line : JSON.stringify(line))).join('\n')}\n`;
}

export async function uploadJsonl(client: OpenAI, text: string, filename = 'requests.jsonl') {
  return client.files.create({ file: await toFile(Buffer.from(text), filename), purpose: 'batch' });
}

/** Uploads the lines and creates a chat batch over them. */
export async function submit(client: OpenAI, lines: readonly unknown[], metadata?: Record<string, string>) {
  const file = await uploadJsonl(client, jsonl(lines));
  return client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h', ...(metadata && { metadata }) });
}

/** A file's JSONL lines, parsed; [] for no file. */
export async function downloadLines(client: OpenAI, fileId: string | null | undefined): Promise<BatchOutputLine[]> {
  if (!fileId) return [];
  const text = await (await client.files.content(fileId)).text();
  return text.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as BatchOutputLine);
}

export interface BatchOutputLine {
  id: string;
  custom_id: string;
  response: { status_code: number; request_id: string; body: any } | null;
  error: { code: string; message: string } | null;
}

/** A clock a test sets by hand: `at(ms)` puts it `ms` after its start. */
export function handClock(start = 1_800_000_000_000) {
  let now = start;
  return {
    now: () => now,
    at(ms: number) {
      now = start + ms;
    },
  };
}

/** The content of a chat completion line, parsed: the `[{ index, sentiment }]` answer. */
export function answersOf(line: BatchOutputLine): Array<{ index: number; sentiment: string }> {
  return JSON.parse(line.response!.body.choices[0].message.content);
}
