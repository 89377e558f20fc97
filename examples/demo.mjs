#!/usr/bin/env node
// The mlpredict demo: a sentiment pipeline over the bundled reviews, batched, beside
// the same work done one request per record.
//
//   pnpm demo                      # against the bundled simulator (200 ms per request)
//   OPENAI_API_KEY=… pnpm demo     # against OpenAI (OPENAI_BASE_URL for any compatible endpoint,
//                                  # OPENAI_MODEL for the model; DEMO_LIMIT caps the records)
import { readFileSync } from 'node:fs';
import OpenAI from 'openai';
import { predictAll, openAIModel } from '@mlpredict/core';
import { startSimulator, sentimentOf } from '@mlpredict/testing';

const real = Boolean(process.env.OPENAI_API_KEY || process.env.OPENAI_BASE_URL);
const reviews = readFileSync(new URL('./data/reviews.jsonl', import.meta.url), 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((line) => JSON.parse(line))
  .slice(0, Number(process.env.DEMO_LIMIT ?? (real ? 200 : Infinity)));

const latencyMs = 200;
const sim = real ? undefined : await startSimulator({ latencyMs });
const baseURL = sim?.url ?? process.env.OPENAI_BASE_URL;
const modelName = process.env.OPENAI_MODEL ?? 'gpt-4o-mini';
const apiKey = sim ? 'demo' : process.env.OPENAI_API_KEY;
const concurrency = 8;
const batchSize = 20;
const instruction = 'Classify the sentiment of each product review as positive, negative or neutral.';

console.log(`mlpredict demo: ${reviews.length} reviews against ${sim ? `the bundled simulator (${latencyMs} ms per request)` : `${baseURL ?? 'OpenAI'} (${modelName})`}\n`);

// 1. Batched: many reviews per request.
const model = openAIModel({ model: modelName, baseURL, apiKey });
let requests = 0;
let promptTokens = 0;
const started = performance.now();
const results = await predictAll(model, reviews, {
  textField: 'text',
  instruction,
  valueField: 'sentiment',
  batchSize,
  concurrency,
  onRequest: (e) => {
    requests++;
    promptTokens += e.usage?.promptTokens ?? 0;
  },
});
const batchedMs = performance.now() - started;
const errors = results.filter((r) => r.error);
const right = sim ? results.filter((r) => r.value === sentimentOf(r.input.text)).length : undefined;

// 2. What people write today: one request per record, `concurrency` at a time.
const sampleSize = sim ? 400 : Math.min(reviews.length, 40);
const sample = reviews.slice(0, sampleSize);
const client = new OpenAI({ baseURL, apiKey, maxRetries: 2 });
let baselineTokens = 0;
const baselineStarted = performance.now();
await runPool(sample, concurrency, async (review) => {
  const completion = await client.chat.completions.create({
    model: modelName,
    messages: [
      { role: 'system', content: 'You are a sentiment analyzer. Answer with one word: positive, negative or neutral.' },
      { role: 'user', content: `${instruction}\n\nReview: ${review.text}` },
    ],
  });
  baselineTokens += completion.usage?.prompt_tokens ?? 0;
});
const baselineMs = performance.now() - baselineStarted;
const baselineFullMs = (baselineMs / sample.length) * reviews.length;

const fmt = (ms) => `${(ms / 1000).toFixed(1)} s`;
const ideal = Math.ceil(reviews.length / (batchSize * concurrency)) * latencyMs;
console.table({
  'mlpredict (batched)': {
    records: reviews.length,
    requests,
    'prompt tokens / record': +(promptTokens / reviews.length).toFixed(1),
    wall: fmt(batchedMs),
    errors: errors.length,
    ...(right !== undefined && { right: `${right}/${reviews.length}` }),
  },
  'one request per record': {
    records: reviews.length,
    requests: reviews.length,
    'prompt tokens / record': +(baselineTokens / sample.length).toFixed(1),
    wall: `${fmt(baselineFullMs)} (measured on ${sample.length}: ${fmt(baselineMs)})`,
    errors: '-',
  },
});
console.log(
  `\n${(reviews.length / requests).toFixed(1)}× fewer requests, ${(baselineFullMs / batchedMs).toFixed(1)}× faster` +
    (sim ? `; wall time is ${(batchedMs / ideal).toFixed(2)}× the ideal ceil(N/(batch×concurrency))×latency = ${fmt(ideal)}.` : '.'),
);
for (const r of results.slice(0, 3)) console.log(`  ${JSON.stringify(r.input.text).slice(0, 70)} → ${r.value ?? r.error.code}`);

await sim?.close();

/** Runs `fn` over `items`, at most `limit` at a time. */
async function runPool(items, limit, fn) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: limit }, worker));
}
