/**
 * Runs one library over one record set against a fresh simulator (same settings,
 * same seed for everyone) and turns what happened into one table row: wall time,
 * requests and tokens as the server counted them, 429s, records lost, right, wrong.
 */
import { startSimulator, sentimentOf } from '@mlpredict/testing';
import { labelIn } from './labels.mjs';
import { progress } from './log.mjs';

/**
 * @param peer      { name, batchSize, run({ url, records, concurrency }) → answers[] }
 * @param settings  { simulator, records, concurrency, idealMs, scenario }
 */
export async function measurePeer(peer, { simulator, records, concurrency, idealMs, scenario }) {
  // A fresh server per run: rate-limit windows, in-flight counts and the seeded
  // fault sequence start from zero for every library alike.
  const sim = await startSimulator(simulator);
  progress(`${scenario}: ${peer.name} — ${records.length} records, concurrency ${concurrency}…`);
  const started = performance.now();
  let answers = [];
  let crash;
  try {
    answers = await peer.run({ url: sim.url, records, concurrency });
  } catch (error) {
    // A peer that rejects as a whole loses its records; the benchmark goes on.
    crash = error instanceof Error ? error.message : String(error);
  }
  const wallMs = performance.now() - started;
  const stats = snapshot(sim.stats);
  await sim.close();

  let lost = 0;
  let right = 0;
  let wrong = 0;
  records.forEach((record, i) => {
    const label = labelIn(answers[i]);
    if (label === undefined) lost++;
    else if (label === sentimentOf(record)) right++;
    else wrong++;
  });
  const row = {
    library: peer.name,
    records: records.length,
    wallMs,
    idealMs,
    requests: stats.requests,
    promptTokensPerRecord: stats.promptTokens / records.length,
    completionTokens: stats.completionTokens,
    promptTokens: stats.promptTokens,
    rateLimited: stats.rateLimited,
    peakInFlight: stats.peakInFlight,
    lost,
    right,
    wrong,
    crash,
  };
  progress(
    `${scenario}: ${peer.name} done in ${(wallMs / 1000).toFixed(2)} s — ${stats.requests} requests, ${stats.rateLimited} × 429, ` +
      `${lost} lost, ${right} right${crash ? `, crashed: ${crash}` : ''}`,
  );
  return row;
}

/** The numbers we read, copied before the server closes (and whatever names the stats carry). */
function snapshot(stats) {
  return {
    requests: stats.requests ?? stats.chatRequests ?? 0,
    rateLimited: stats.rateLimited ?? stats.byStatus?.[429] ?? 0,
    promptTokens: stats.promptTokens ?? 0,
    completionTokens: stats.completionTokens ?? 0,
    peakInFlight: stats.peakInFlight ?? 0,
  };
}

/** The mean of a latency setting: a number, or [min, max] drawn uniformly. */
export const meanLatency = (latencyMs) => (Array.isArray(latencyMs) ? (latencyMs[0] + latencyMs[1]) / 2 : latencyMs);

/** Latency-bound ideal: rounds of `concurrency` requests, each one mean latency long. */
export function latencyIdealMs({ records, batchSize, concurrency, latencyMs }) {
  return Math.ceil(records / (batchSize * concurrency)) * meanLatency(latencyMs);
}
