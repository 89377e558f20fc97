/**
 * Rate-limited: the server allows fewer requests than the callers want to send
 * (issue "Rate limits": "openai SDK + p-limit lost 42 of 400 records at 20 req/s
 * with 32 workers"). What matters is how few requests a library needs and what it
 * does with a 429: retry blindly, give up, or pause everyone until the window opens.
 */
import { mlpredictPeer, PER_RECORD_PEERS } from '../peers/index.mjs';
import { latencyIdealMs, meanLatency, measurePeer } from '../lib/measure.mjs';
import { reviews } from '../lib/records.mjs';
import { LIBRARY_COLUMNS, relativeToMlpredict, seconds } from '../report.mjs';

const LIMIT = { requests: 20, windowMs: 1000 };
const RPM = (LIMIT.requests * 60_000) / LIMIT.windowMs; // the quota a user who knows it would state

/**
 * The best a caller can do under the limit: requests needed ÷ allowed rate, counted
 * in whole windows (the last window's requests still take one latency), and never
 * less than the latency-bound ideal at its concurrency.
 */
function capacityIdealMs({ records, batchSize, concurrency, latencyMs }) {
  const requests = Math.ceil(records / batchSize);
  const windows = Math.ceil(requests / LIMIT.requests);
  const capacity = (windows - 1) * LIMIT.windowMs + meanLatency(latencyMs);
  return Math.max(capacity, latencyIdealMs({ records, batchSize, concurrency, latencyMs }));
}

export default {
  id: 'rate-limited',
  async run({ quick }) {
    const records = reviews(quick ? 160 : 400);
    const simulator = { latencyMs: [100, 200], seed: 2, rateLimit: LIMIT };
    const perRecordConcurrency = 32;
    const mlConcurrency = 8;
    const runs = [
      [mlpredictPeer({ batchSize: 20 }), mlConcurrency],
      [mlpredictPeer({ batchSize: 20, requestsPerMinute: RPM }), mlConcurrency],
      // Smaller batches need more requests than one window allows: this is where the
      // shared 429 pause and the client-side budget have something to do.
      [mlpredictPeer({ batchSize: 5 }), mlConcurrency],
      [mlpredictPeer({ batchSize: 5, requestsPerMinute: RPM }), mlConcurrency],
      ...PER_RECORD_PEERS.map((peer) => [peer, perRecordConcurrency]),
    ];

    const rows = [];
    for (const [peer, concurrency] of runs) {
      const idealMs = capacityIdealMs({ records: records.length, batchSize: peer.batchSize, concurrency, latencyMs: simulator.latencyMs });
      rows.push({ ...(await measurePeer(peer, { simulator, records, concurrency, idealMs, scenario: 'rate-limited' })), concurrency });
    }
    const table = relativeToMlpredict(rows);
    const peers = table.filter((r) => !r.library.startsWith('mlpredict'));

    return {
      id: 'rate-limited',
      title: `Rate-limited: ${records.length} records, server allows ${LIMIT.requests} requests per ${LIMIT.windowMs / 1000} s`,
      setup:
        `Simulator \`rateLimit: { requests: ${LIMIT.requests}, windowMs: ${LIMIT.windowMs} }\`, \`latencyMs: [100, 200]\`; a request over the limit ` +
        `gets a 429 with \`Retry-After\`. The per-record libraries run ${perRecordConcurrency} workers (as in the issue), mlpredict ` +
        `${mlConcurrency}; "${RPM} rpm" rows also set \`requestsPerMinute: ${RPM}\` (the server's quota, stated client-side). Every library keeps its ` +
        `default retry policy. **ideal** = requests needed ÷ allowed rate in whole windows: (⌈requests / ${LIMIT.requests}⌉ − 1) × ` +
        `${LIMIT.windowMs / 1000} s + one mean latency, and no less than the latency-bound ideal.`,
      columns: [...LIBRARY_COLUMNS.slice(0, 1), { title: 'workers', value: (r) => String(r.concurrency) }, ...LIBRARY_COLUMNS.slice(1)],
      rows: table,
      notes: [
        `Records lost by the per-record libraries: ${peers.map((r) => `${r.library} ${r.lost}`).join(', ')}; ` +
          `by mlpredict: ${table.filter((r) => r.library.startsWith('mlpredict')).map((r) => r.lost).join(', ')}.`,
        '429s are the server’s count of refused requests; they cost a round trip each and, without a shared pause, push every worker into the same next window.',
        'A wall ÷ ideal under 1× means records were given up, not that the limit was beaten.',
        `\`requestsPerMinute: ${RPM}\` paces requests evenly (one every ${LIMIT.windowMs / LIMIT.requests} ms), so a job that would fit in one window ` +
          'takes longer with it; at exactly the server’s quota a sliding window still refuses the odd request. Without it, mlpredict’s shared ' +
          '429 pause (every worker waits for the `Retry-After` the server gave) already keeps refusals to a handful.',
      ],
      headline:
        `Rate-limited (${records.length} records, ${LIMIT.requests} requests/s allowed): mlpredict lost ${table[0].lost} in ${seconds(table[0].wallMs)}; ` +
        peers.map((r) => `${r.library} lost ${r.lost} in ${seconds(r.wallMs)} (${r.rateLimited} × 429)`).join(', ') + '.',
      chart: { title: 'Rate-limited', bars: table.map((r) => ({ label: r.library, ms: r.wallMs, note: r.lost ? `${r.lost} lost` : undefined })) },
    };
  },
};
