#!/usr/bin/env node
// A JSONL file → createPredictStream → a JSONL file, with stream.pipeline: memory stays
// bounded by the records in flight (concurrency × batch size + the reorder window),
// however big the file, because the predict stream stops taking records while its
// results are not being written.
//
//   pnpm build && node examples/node-stream.mjs [in.jsonl] [out.jsonl]
//
// Against the bundled simulator, started here, unless OPENAI_BASE_URL (or OPENAI_API_KEY)
// is set; OPENAI_MODEL picks the model. Defaults: examples/data/reviews.jsonl → a temp file.
import { createReadStream, createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { openAIModel } from '@mlpredict/core';
import { startSimulator } from '@mlpredict/testing';
// In your project: import { createPredictStream } from '@mlpredict/node';
import { createPredictStream } from '@mlpredict/node';

const input = process.argv[2] ?? fileURLToPath(new URL('./data/reviews.jsonl', import.meta.url));
const output = process.argv[3] ?? join(tmpdir(), 'mlpredict-sentiments.jsonl');

const real = Boolean(process.env.OPENAI_BASE_URL || process.env.OPENAI_API_KEY);
const sim = real ? undefined : await startSimulator({ latencyMs: [50, 150] });
const model = openAIModel({
  model: process.env.OPENAI_MODEL ?? 'gpt-4o-mini',
  baseURL: sim?.url ?? process.env.OPENAI_BASE_URL,
  apiKey: sim ? 'simulator' : process.env.OPENAI_API_KEY,
});

/** Bytes → one parsed record per non-blank line. */
async function* jsonLines(chunks) {
  let rest = '';
  for await (const chunk of chunks) {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop();
    for (const line of lines) if (line.trim()) yield JSON.parse(line);
  }
  if (rest.trim()) yield JSON.parse(rest);
}

/** Results → JSONL text. */
async function* toJsonl(results) {
  for await (const r of results) {
    yield `${JSON.stringify({ id: r.input.id, ...(r.error ? { error: r.error.code } : { sentiment: r.value }) })}\n`;
  }
}

const predictor = createPredictStream(model, {
  textField: 'text',
  instruction: 'Classify the sentiment of each product review as positive, negative or neutral.',
  valueField: 'sentiment',
  batchSize: 20,
  concurrency: 8,
});
console.log(`${input} → ${output} (at most ${predictor.maxInFlight} records in flight)`);

const started = performance.now();
let done = 0;
try {
  await pipeline(
    createReadStream(input, 'utf8'),
    jsonLines,
    predictor,
    async function* (results) {
      for await (const r of results) {
        done++;
        yield r;
      }
    },
    toJsonl,
    createWriteStream(output),
  );
  console.log(`${done} records in ${((performance.now() - started) / 1000).toFixed(1)} s${sim ? `, ${sim.stats.chatRequests} requests to the simulator` : ''}`);
} finally {
  await sim?.close();
}
