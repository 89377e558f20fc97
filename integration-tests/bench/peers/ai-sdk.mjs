/**
 * The Vercel AI SDK: `generateText` per record over the chat-completions API
 * (`provider.chat(model)`), p-limit for concurrency, try/catch per record. AI SDK
 * defaults otherwise (2 retries).
 */
import { generateText } from 'ai';
import { createOpenAI } from '@ai-sdk/openai';
import pLimit from 'p-limit';
import { PER_RECORD_SYSTEM, perRecordPrompt } from '../lib/labels.mjs';

// The SDK warns on the console about unknown model ids; the simulator's 'sim' is one.
globalThis.AI_SDK_LOG_WARNINGS = false;

export const aiSdkPeer = {
  name: 'AI SDK generateText + p-limit',
  batchSize: 1,
  async run({ url, records, concurrency }) {
    const model = createOpenAI({ baseURL: url, apiKey: 'bench' }).chat('sim');
    const limit = pLimit(concurrency);
    return Promise.all(
      records.map((text) =>
        limit(async () => {
          try {
            const { text: answer } = await generateText({ model, system: PER_RECORD_SYSTEM, prompt: perRecordPrompt(text), temperature: 0 });
            return answer;
          } catch {
            return undefined;
          }
        }),
      ),
    );
  },
};
