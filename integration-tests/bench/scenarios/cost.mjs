/**
 * What 10,000 records cost three ways: one request per record (the openai SDK
 * and p-limit, as people write it today), packed 20 to a request in real time
 * (mlpredict), and packed the same way through the provider's Batch API
 * (`predictDeferred`, half price). Requests and tokens are the server's counts;
 * dollars are those counts at gpt-4o-mini's list price, stated in the table.
 * mlpredict's own cost figure (`RunStats.snapshot().costUsd`) is checked
 * against them.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { costOf, MODEL_PRICES, openAIModel, predictAll, predictDeferred, RunStats } from '@mlpredict/core';
import { sentimentOf, startSimulator } from '@mlpredict/testing';
import { openaiPLimitPeer } from '../peers/openai-p-limit.mjs';
import { BATCH_INSTRUCTION, labelIn } from '../lib/labels.mjs';
import { progress } from '../lib/log.mjs';
import { reviews } from '../lib/records.mjs';
import { int, seconds } from '../report.mjs';

const MODEL = 'gpt-4o-mini';
const PRICE = MODEL_PRICES[MODEL];
const BATCH_SIZE = 20;
const CONCURRENCY = 16;

const usd = (n) => (n >= 1 ? `$${n.toFixed(2)}` : `$${n.toFixed(4)}`);
const percent = (x) => `${(x * 100).toFixed(x < 0.1 ? 1 : 0)}%`;

/** Runs `how` against a fresh simulator and reads what the server counted (real-time and Batch API apart). */
async function measure(name, how, records) {
  const sim = await startSimulator({ seed: 5 });
  progress(`cost: ${name} — ${records.length} records…`);
  const started = performance.now();
  try {
    const { answers, reportedUsd } = await how(sim.url, records);
    const s = sim.stats;
    const viaBatch = s.batchesCreated > 0;
    const usage = {
      promptTokens: s.promptTokens + s.batchPromptTokens,
      completionTokens: s.completionTokens + s.batchCompletionTokens,
    };
    // Lines of a job bill at the Batch API's discount; anything sent in real time (repairs) at full price.
    const costUsd = costOf({ promptTokens: s.promptTokens, completionTokens: s.completionTokens }, PRICE) + costOf({ promptTokens: s.batchPromptTokens, completionTokens: s.batchCompletionTokens }, PRICE, { batch: true });
    const right = records.filter((record, i) => labelIn(answers[i]) === sentimentOf(record)).length;
    return {
      name,
      records: records.length,
      requests: s.chatRequests + s.batchLinesAnswered + s.batchLinesFailed,
      jobs: s.batchesCreated,
      viaBatch,
      ...usage,
      costUsd,
      reportedUsd,
      right,
      wallMs: performance.now() - started,
    };
  } finally {
    await sim.close();
  }
}

const model = (url) => openAIModel({ model: MODEL, baseURL: url, apiKey: 'bench' });
const packed = { batchSize: BATCH_SIZE, concurrency: CONCURRENCY, instruction: BATCH_INSTRUCTION, valueField: 'sentiment', batchTimeoutMs: 10 };

const realTime = (options) => async (url, records) => {
  const stats = new RunStats();
  const results = await predictAll(model(url), records, { ...packed, ...options, stats });
  return { answers: results.map((r) => r.value), reportedUsd: stats.snapshot().costUsd };
};

const deferred = (options) => async (url, records) => {
  const jobDir = await mkdtemp(join(tmpdir(), 'mlpredict-bench-cost-'));
  try {
    const stats = new RunStats();
    const results = await predictDeferred(model(url), records, { ...packed, ...options, stats, jobDir, pollIntervalMs: 20 });
    return { answers: results.map((r) => r.value), reportedUsd: stats.snapshot().costUsd };
  } finally {
    await rm(jobDir, { recursive: true, force: true });
  }
};

// The three the issue asks for, then the same two packed ways with `12|negative` answers instead of indexed JSON.
const DELIMITED = { responseFormat: 'delimited' };
const WAYS = [
  ['one request per record (openai SDK + p-limit)', async (url, records) => ({ answers: await openaiPLimitPeer.run({ url, records, concurrency: CONCURRENCY }) })],
  [`packed, real time (mlpredict, batch ${BATCH_SIZE})`, realTime({})],
  [`packed, deferred (predictDeferred, batch ${BATCH_SIZE})`, deferred({})],
  [`packed, real time, delimited answers`, realTime(DELIMITED)],
  [`packed, deferred, delimited answers`, deferred(DELIMITED)],
];

export default {
  id: 'cost',
  async run({ quick }) {
    const records = reviews(quick ? 2000 : 10_000);
    const rows = [];
    for (const [name, how] of WAYS) rows.push(await measure(name, how, records));
    const [single, packedRealTime, packedDeferred, , delimitedDeferred] = rows;
    for (const r of rows) r.vsSingle = r.costUsd / single.costUsd;
    const off = (r) => (r.reportedUsd === undefined ? '–' : `${usd(r.reportedUsd)}${Math.abs(r.reportedUsd - r.costUsd) > r.costUsd * 1e-9 ? ' (differs!)' : ''}`);

    return {
      id: 'cost',
      title: `Cost: ${int(records.length)} records one request each, packed in real time, packed through the Batch API`,
      setup:
        `Priced at ${MODEL}'s list price: $${PRICE.inputPerMillion} input / $${PRICE.cachedInputPerMillion} cached input / $${PRICE.outputPerMillion} output per million tokens, ` +
        `the Batch API at ${PRICE.batchDiscount * 100}% off (\`MODEL_PRICES['${MODEL}']\`, August 2025). Requests and tokens are the simulator's counts ` +
        `(a job's lines count as requests); dollars are those counts at that price. Same records and instruction for every row; concurrency ${CONCURRENCY}; ` +
        'no prompt reaches the 1,024 tokens OpenAI caches from, so no cached tokens. **mlpredict says** is `RunStats.snapshot().costUsd` of the run.',
      columns: [
        { title: 'how', value: (r) => r.name },
        { title: 'requests', value: (r) => `${int(r.requests)}${r.viaBatch ? ` (${r.jobs} job)` : ''}` },
        { title: 'prompt tokens', value: (r) => int(r.promptTokens) },
        { title: 'completion tokens', value: (r) => int(r.completionTokens) },
        { title: 'cost', value: (r) => usd(r.costUsd) },
        { title: 'vs one per record', value: (r) => percent(r.vsSingle) },
        { title: 'mlpredict says', value: off },
        { title: 'right', value: (r) => `${int(r.right)} / ${int(r.records)}` },
        { title: 'wall', value: (r) => seconds(r.wallMs) },
      ],
      rows,
      notes: [
        `Packing ${BATCH_SIZE} records a request sends the instruction once per ${BATCH_SIZE} records: ${int(single.promptTokens)} → ${int(packedRealTime.promptTokens)} prompt tokens. ` +
          `Completion tokens rise (${int(single.completionTokens)} → ${int(packedRealTime.completionTokens)}): an indexed JSON answer per record (\`{"index": 12, "sentiment": "negative"}\`) says more than one bare word, ` +
          `and output costs ${PRICE.outputPerMillion / PRICE.inputPerMillion}× input. With a short instruction like this one, packing alone saves little; the longer the instruction, the more it saves.`,
        `The Batch API halves the price of the same requests: ${usd(packedRealTime.costUsd)} → ${usd(packedDeferred.costUsd)}, ${percent(packedDeferred.vsSingle)} of one request per record. ` +
          'A real job answers within its 24-hour window; the simulator answers at once, so the wall time here says nothing about it.',
        `Answers as \`12|negative\` lines (\`responseFormat: 'delimited'\`) cut the completion tokens to ${int(delimitedDeferred.completionTokens)}: packed and deferred, ${usd(delimitedDeferred.costUsd)}, ${percent(delimitedDeferred.vsSingle)} of one request per record.`,
      ],
      headline:
        `Cost of ${int(records.length)} records at ${MODEL} list price: ${usd(single.costUsd)} one request per record, ${usd(packedRealTime.costUsd)} packed (${percent(packedRealTime.vsSingle)}), ` +
        `${usd(packedDeferred.costUsd)} packed through the Batch API (${percent(packedDeferred.vsSingle)}), ${usd(delimitedDeferred.costUsd)} with delimited answers (${percent(delimitedDeferred.vsSingle)}).`,
    };
  },
};
