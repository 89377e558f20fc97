/**
 * Cost vs batch size: the same records through mlpredict at batch 1 … 50. Calls and
 * prompt tokens fall with the batch (the instruction is paid once per request), and
 * wall time with the number of round trips.
 */
import { mlpredictPeer } from '../peers/index.mjs';
import { latencyIdealMs, measurePeer } from '../lib/measure.mjs';
import { reviews } from '../lib/records.mjs';
import { int, oneDecimal, seconds, times } from '../report.mjs';

const BATCH_SIZES = [1, 5, 10, 20, 50];

export default {
  id: 'batch-size',
  async run({ quick }) {
    const records = reviews(quick ? 200 : 400);
    const concurrency = 8;
    const simulator = { latencyMs: [100, 200], seed: 4 };

    const rows = [];
    for (const batchSize of BATCH_SIZES) {
      const idealMs = latencyIdealMs({ records: records.length, batchSize, concurrency, latencyMs: simulator.latencyMs });
      const row = await measurePeer(mlpredictPeer({ batchSize }), { simulator, records, concurrency, idealMs, scenario: 'batch-size' });
      rows.push({ ...row, batchSize });
    }
    const single = rows[0];

    return {
      id: 'batch-size',
      title: `Cost vs batch size: ${records.length} records through mlpredict, concurrency ${concurrency}`,
      setup: 'Simulator `latencyMs: [100, 200]`, no faults. Calls and tokens as the server counted them.',
      columns: [
        { title: 'batch size', value: (r) => String(r.batchSize) },
        { title: 'calls', value: (r) => int(r.requests) },
        { title: 'prompt tokens', value: (r) => int(r.promptTokens) },
        { title: 'prompt tokens / record', value: (r) => oneDecimal(r.promptTokensPerRecord) },
        { title: 'completion tokens', value: (r) => int(r.completionTokens) },
        { title: 'prompt tokens vs batch 1', value: (r) => `${((r.promptTokens / single.promptTokens) * 100).toFixed(0)}%` },
        { title: 'wall', value: (r) => seconds(r.wallMs) },
        { title: 'ideal', value: (r) => seconds(r.idealMs) },
        { title: 'wall ÷ ideal', value: (r) => times(r.wallMs / r.idealMs) },
        { title: 'lost', value: (r) => int(r.lost) },
        { title: 'right', value: (r) => `${int(r.right)} / ${int(r.records)}` },
      ],
      rows,
      notes: [
        `From batch 1 to batch 20: ${single.requests} → ${rows.find((r) => r.batchSize === 20).requests} calls, ` +
          `prompt tokens ${((1 - rows.find((r) => r.batchSize === 20).promptTokens / single.promptTokens) * 100).toFixed(0)}% fewer, ` +
          `wall ${seconds(single.wallMs)} → ${seconds(rows.find((r) => r.batchSize === 20).wallMs)}. Completion tokens barely move: each record still needs its answer.`,
      ],
      headline:
        `Cost: batch ${rows.at(-1).batchSize} needs ${rows.at(-1).requests} calls and ${((rows.at(-1).promptTokens / single.promptTokens) * 100).toFixed(0)}% of the prompt tokens ` +
        `of one call per record (${single.requests} calls) for the same ${records.length} answers.`,
      chart: { title: 'Cost vs batch size (mlpredict only)', bars: rows.map((r) => ({ label: `mlpredict (batch ${r.batchSize})`, ms: r.wallMs, note: `${r.requests} calls` })) },
    };
  },
};
