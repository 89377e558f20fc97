/** Prompts and clients shared by the simulator's tests. */
import OpenAI from 'openai';

export const TEXTS = [
  'Great phone, battery lasts all day',
  'Broke after a week. Terrible.',
  'Arrived on Tuesday in a brown box',
  'Love it, works perfectly',
  'Not good at all, a waste of money',
  'It is blue',
];

export interface PromptShape {
  base?: number;
  indexField?: string;
  valueField?: string;
}

/** mlpredict's default layout: one `Input n: "<json string>"` line per record. */
export function batchPrompt(texts: readonly string[], shape: PromptShape = {}): string {
  const { base = 1, indexField = 'index', valueField = 'sentiment' } = shape;
  const lines = texts.map((text, i) => `Input ${i + base}: ${JSON.stringify(text)}`);
  return `Classify the sentiment of each input.\n\n${lines.join('\n')}\n\nReturn a JSON array: [{"${indexField}": <input number>, "${valueField}": <answer>}, ...]`;
}

export function clientFor(url: string): OpenAI {
  return new OpenAI({ baseURL: url, apiKey: 'test', maxRetries: 0 });
}

/** One user message; returns the SDK's APIPromise (so `.withResponse()` works). */
export function ask(client: OpenAI, content: string, extra: Record<string, unknown> = {}) {
  return client.chat.completions.create({ model: 'sim-model', messages: [{ role: 'user', content }], ...extra } as OpenAI.ChatCompletionCreateParamsNonStreaming);
}

/** Polls until `condition` holds (generous: up to 5 s). */
export async function eventually(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 250 && !condition(); i++) await new Promise((r) => setTimeout(r, 20));
  if (!condition()) throw new Error(`timed out waiting for: ${what}`);
}
