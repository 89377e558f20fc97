/**
 * Faulty: the server fails 5% of requests with a 500 and the "model" misbehaves —
 * code fences, chatty prose, records left out, answers cut short. The question is
 * not speed but what arrives: every record answered, and none answered wrongly.
 */
import { mlpredictPeer, PER_RECORD_PEERS } from '../peers/index.mjs';
import { latencyIdealMs, measurePeer } from '../lib/measure.mjs';
import { reviews } from '../lib/records.mjs';
import { LIBRARY_COLUMNS, relativeToMlpredict, seconds } from '../report.mjs';

export const FAULTY_SIMULATOR = {
  latencyMs: [100, 200],
  seed: 3,
  faults: { serverError: 0.05 },
    // fence / prose / missing / truncate act on batch answers; empty and notJson (a
  // refusal) also hit one-record answers, so every library meets bad answers.
  defects: { fence: 0.1, prose: 0.1, missing: 0.1, truncate: 0.05, empty: 0.03, notJson: 0.02 },
};

export default {
  id: 'faulty',
  async run({ quick }) {
    const records = reviews(quick ? 160 : 400);
    const concurrency = 8;
    const simulator = FAULTY_SIMULATOR;
    const peers = [mlpredictPeer({ batchSize: 20 }), ...PER_RECORD_PEERS];

    const rows = [];
    for (const peer of peers) {
      const idealMs = latencyIdealMs({ records: records.length, batchSize: peer.batchSize, concurrency, latencyMs: simulator.latencyMs });
      rows.push(await measurePeer(peer, { simulator, records, concurrency, idealMs, scenario: 'faulty' }));
    }
    const table = relativeToMlpredict(rows);

    return {
      id: 'faulty',
      title: `Faulty: ${records.length} records, 5% server errors; fenced, chatty, incomplete, cut-off, empty and refused answers`,
      setup:
        `Simulator \`faults: { serverError: 0.05 }\`, \`defects: { fence: 0.1, prose: 0.1, missing: 0.1, truncate: 0.05, empty: 0.03, notJson: 0.02 }\` ` +
        `(probabilities per answer), \`latencyMs: [100, 200]\`, concurrency ${concurrency} for everyone, each library's default retries. ` +
        'Fences, prose, left-out records and cut-off answers only happen to batch answers (a one-word answer has nothing to leave out); ' +
        'empty answers and refusals happen to every answer, 500s to every request. ' +
        'Per-record answers are read charitably: the first of positive / negative / neutral anywhere in the reply counts. ' +
        '**ideal** is the latency-bound ideal without faults.',
      columns: LIBRARY_COLUMNS,
      rows: table,
      notes: [
        `Lost records: ${table.map((r) => `${r.library} ${r.lost}`).join(', ')}.`,
        `Wrong (silently): ${table.map((r) => `${r.library} ${r.wrong}`).join(', ')}.`,
      ],
      headline:
        `Faulty (${records.length} records, 5% 500s and broken answers): ` +
        table.map((r) => `${r.library} ${r.right}/${r.records} right, ${r.lost} lost, ${seconds(r.wallMs)}`).join('; ') + '.',
      chart: { title: 'Faulty', bars: table.map((r) => ({ label: r.library, ms: r.wallMs, note: r.lost ? `${r.lost} lost` : undefined })) },
    };
  },
};
