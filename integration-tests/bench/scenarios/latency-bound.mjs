/**
 * Latency-bound: a well-behaved server that takes 100–200 ms per request, the same
 * concurrency for everyone. The time is all waiting, so what decides it is how many
 * round trips a library needs — one per record, or one per batch.
 */
import { mlpredictPeer, PER_RECORD_PEERS } from '../peers/index.mjs';
import { latencyIdealMs, measurePeer } from '../lib/measure.mjs';
import { reviews } from '../lib/records.mjs';
import { LIBRARY_COLUMNS, oneDecimal, relativeToMlpredict, seconds, times } from '../report.mjs';

export default {
  id: 'latency',
  async run({ quick }) {
    const records = reviews(quick ? 400 : 2000);
    const concurrency = 8;
    const batchSize = 20;
    const simulator = { latencyMs: [100, 200], seed: 1 };
    const peers = [mlpredictPeer({ batchSize }), ...PER_RECORD_PEERS];

    const rows = [];
    for (const peer of peers) {
      const idealMs = latencyIdealMs({ records: records.length, batchSize: peer.batchSize, concurrency, latencyMs: simulator.latencyMs });
      rows.push(await measurePeer(peer, { simulator, records, concurrency, idealMs, scenario: 'latency-bound' }));
    }
    const table = relativeToMlpredict(rows);
    const ml = table[0];
    const slowestRatio = Math.min(...table.slice(1).map((r) => r.wallMs / ml.wallMs));

    return {
      id: 'latency',
      title: `Latency-bound: ${records.length.toLocaleString('en-US')} records, 100–200 ms per request, concurrency ${concurrency}`,
      setup:
        `Simulator \`latencyMs: [100, 200]\` (mean 150 ms), no rate limit, no faults. Every library runs ${concurrency} requests at a time; ` +
        `mlpredict sends ${batchSize} records per request, the others one. **ideal** is rounds of ${concurrency} requests × the mean latency: ` +
        `⌈N / (batch × concurrency)⌉ × 150 ms for mlpredict, ⌈N / concurrency⌉ × 150 ms for one request per record.`,
      columns: LIBRARY_COLUMNS,
      rows: table,
      notes: [
        `mlpredict finished in ${seconds(ml.wallMs)}; the fastest per-record library took ${times(slowestRatio)} as long ` +
          `(${slowestRatio >= 10 ? 'at least 10× — the target is met' : 'under 10× — the target is NOT met'}).`,
        'Prompt tokens per record: the per-record libraries repeat the instruction and system prompt for every record; mlpredict says them once per batch.',
      ],
      chart: { title: 'Latency-bound', bars: table.map((r) => ({ label: r.library, ms: r.wallMs })) },
      headline:
        `Latency-bound (${records.length.toLocaleString('en-US')} records, concurrency ${concurrency}): mlpredict ${seconds(ml.wallMs)}, one request per record ` +
        `${seconds(Math.min(...table.slice(1).map((r) => r.wallMs)))}–${seconds(Math.max(...table.slice(1).map((r) => r.wallMs)))}: ` +
        `${times(slowestRatio)} faster than the fastest of them (target ≥ 10×: ${slowestRatio >= 10 ? 'met' : 'NOT met'}), ` +
        `${ml.requests} requests instead of ${table[1].requests.toLocaleString('en-US')}, ${oneDecimal(ml.promptTokensPerRecord)} prompt tokens per record instead of ${oneDecimal(table[1].promptTokensPerRecord)}.`,
      summary: { speedupOverFastestPeer: slowestRatio },
    };
  },
};
