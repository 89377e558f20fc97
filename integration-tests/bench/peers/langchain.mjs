/**
 * LangChain's way: `ChatOpenAI.batch` with `maxConcurrency`, one request per input,
 * `returnExceptions: true` so one failure does not reject the whole batch. LangChain
 * defaults otherwise (its own retry loop, 6 attempts).
 */
import { ChatOpenAI } from '@langchain/openai';
import { PER_RECORD_SYSTEM, perRecordPrompt } from '../lib/labels.mjs';

export const langchainPeer = {
  name: 'LangChain ChatOpenAI.batch',
  batchSize: 1,
  async run({ url, records, concurrency }) {
    const chat = new ChatOpenAI({ model: 'sim', apiKey: 'bench', temperature: 0, configuration: { baseURL: url } });
    const inputs = records.map((text) => [
      ['system', PER_RECORD_SYSTEM],
      ['human', perRecordPrompt(text)],
    ]);
    const outputs = await chat.batch(inputs, { maxConcurrency: concurrency }, { returnExceptions: true });
    return outputs.map((message) => (message instanceof Error || typeof message?.content !== 'string' ? undefined : message.content));
  },
};
