/**
 * What most people write today: the official openai SDK, one request per record,
 * p-limit for concurrency, try/catch per record. SDK defaults otherwise (2 retries,
 * honoring Retry-After), as a user would leave them.
 */
import OpenAI from 'openai';
import pLimit from 'p-limit';
import { PER_RECORD_SYSTEM, perRecordPrompt } from '../lib/labels.mjs';

export const openaiPLimitPeer = {
  name: 'openai SDK + p-limit',
  batchSize: 1,
  async run({ url, records, concurrency }) {
    const client = new OpenAI({ baseURL: url, apiKey: 'bench' });
    const limit = pLimit(concurrency);
    return Promise.all(
      records.map((text) =>
        limit(async () => {
          try {
            const completion = await client.chat.completions.create({
              model: 'sim',
              temperature: 0,
              messages: [
                { role: 'system', content: PER_RECORD_SYSTEM },
                { role: 'user', content: perRecordPrompt(text) },
              ],
            });
            return completion.choices[0]?.message?.content ?? undefined;
          } catch {
            return undefined; // the record is lost; the loop goes on, as in user code
          }
        }),
      ),
    );
  },
};
