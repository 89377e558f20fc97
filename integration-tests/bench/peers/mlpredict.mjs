/**
 * mlpredict itself: many records per request through `predictAll`, over HTTP with
 * the openai SDK underneath, library defaults for retries and backoff.
 */
import { openAIModel, predictAll } from '@mlpredict/core';
import { BATCH_INSTRUCTION } from '../lib/labels.mjs';

/**
 * @param {{ batchSize?: number, requestsPerMinute?: number, name?: string }} settings
 */
export function mlpredictPeer({ batchSize = 20, requestsPerMinute, name } = {}) {
  return {
    name: name ?? `mlpredict (batch ${batchSize}${requestsPerMinute ? `, ${requestsPerMinute} rpm` : ''})`,
    batchSize,
    async run({ url, records, concurrency }) {
      const model = openAIModel({ model: 'sim', baseURL: url, apiKey: 'bench' });
      const results = await predictAll(model, records, {
        batchSize,
        concurrency,
        instruction: BATCH_INSTRUCTION,
        valueField: 'sentiment',
        // The records are all at hand, so a partial batch has nothing to wait for.
        batchTimeoutMs: 10,
        ...(requestsPerMinute && { requestsPerMinute }),
      });
      return results.map((r) => (r.error ? undefined : r.value));
    },
  };
}
