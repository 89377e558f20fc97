/**
 * Self-tuning (issue 17): with no batch or concurrency settings, is mlpredict as
 * fast as the best fixed setting a user could have picked? Four server profiles,
 * each against a grid of fixed settings (batch 5–50 × concurrency 2–16); and
 * `tokensPerMinute` set to the server's real quota against the capacity ideal.
 *
 * The grids' cells are screened side by side (each with its own simulator: the
 * waiting is the server's, not the CPU's), then each profile's three fastest are
 * run again one at a time, like the auto run, so the best is not judged under load.
 */
import { openAIModel, predictAll, RunStats } from '@mlpredict/core';
import { startSimulator, sentimentOf } from '@mlpredict/testing';
import { BATCH_INSTRUCTION } from '../lib/labels.mjs';
import { progress } from '../lib/log.mjs';
import { longReview, reviews } from '../lib/records.mjs';
import { int, seconds, times } from '../report.mjs';

const BATCH_SIZES = [5, 10, 20, 50];
const CONCURRENCIES = [2, 4, 8, 16];
/** The Done-when of issue 17: auto ≤ 1.10× the grid's best, and ≤ 1.10× the capacity ideal with tokensPerMinute. */
const TARGET = 1.1;

const PROFILES = [
  {
    name: 'latency-bound',
    describe: '200 ms a request',
    simulator: { latencyMs: 200, seed: 1 },
    records: (quick) => reviews(quick ? 800 : 4000),
  },
  {
    name: 'token-bound',
    describe: '100 ms + 2 ms per completion token, 3,000-token context',
    simulator: { latencyMs: 100, latencyPerTokenMs: { completion: 2 }, contextTokens: 3000, seed: 2 },
    records: (quick) => reviews(quick ? 800 : 4000),
  },
  {
    name: 'rate-limited',
    describe: '5 requests/s, 100 ms a request',
    simulator: { latencyMs: 100, rateLimit: { requests: 5, windowMs: 1000 }, seed: 3 },
    records: (quick) => reviews(quick ? 300 : 1000),
  },
  {
    name: 'small context',
    describe: '2,000-token context, records of ~250 characters, 200 ms a request',
    simulator: { latencyMs: 200, contextTokens: 2000, seed: 4 },
    records: (quick) => Array.from({ length: quick ? 500 : 2000 }, (_, i) => longReview(i)),
  },
];

/** One run of `records` through a fresh simulator; the server's counts and what came back. */
async function measure(simulator, records, settings, label) {
  const sim = await startSimulator(simulator);
  const stats = new RunStats();
  const model = openAIModel({ model: 'sim', baseURL: sim.url, apiKey: 'bench' });
  // The tokens the server counted for each request it answered, for the capacity ideal.
  const answered = [];
  const onRequest = (e) => e.ok && answered.push(e.usage?.promptTokens ?? 0);
  const started = performance.now();
  let results = [];
  let crash;
  try {
    results = await predictAll(model, records, { instruction: BATCH_INSTRUCTION, valueField: 'sentiment', stats, onRequest, ...settings });
  } catch (error) {
    crash = error instanceof Error ? error.message : String(error);
  }
  const wallMs = performance.now() - started;
  const server = { ...sim.stats };
  await sim.close();
  const right = results.filter((r, i) => r.value === sentimentOf(records[i])).length;
  const lost = records.length - results.filter((r) => r.ok).length;
  const errors = {};
  for (const r of results) if (!r.ok) errors[r.error.code] = (errors[r.error.code] ?? 0) + 1;
  if (lost > 0 || crash) progress(`self-tuning: ${label} lost ${lost} records (${JSON.stringify(errors)})${crash ? `, crashed: ${crash}` : ''}`);
  return {
    label,
    settings,
    wallMs,
    requests: server.chatRequests,
    rateLimited: server.rateLimited,
    contextExceeded: server.contextExceeded,
    promptTokens: server.promptTokens,
    lost,
    errors,
    right,
    records: records.length,
    tuning: stats.snapshot().tuning,
    answered,
    crash,
  };
}

/**
 * The capacity ideal of a run's own requests under a sliding-window token limit:
 * every request ready at once, each let in as soon as the window has room for
 * it, plus one answer's latency after the last. No client can do better with
 * those requests.
 */
export function capacityIdealMs(tokensPerRequest, limit, windowMs, latencyMs) {
  const admitted = [];
  let last = 0;
  for (const tokens of tokensPerRequest) {
    const candidates = [last, ...admitted.map((a) => a.at + windowMs)].filter((t) => t >= last).sort((a, b) => a - b);
    const at = candidates.find((t) => admitted.filter((a) => a.at > t - windowMs).reduce((sum, a) => sum + a.tokens, 0) + tokens <= limit) ?? last;
    admitted.push({ at, tokens });
    last = at;
  }
  return last + latencyMs;
}

const cellLabel = (s) => `batch ${s.batchSize} × ${s.concurrency}`;

/** Every cell of every profile's grid at once: the runs wait on their simulators, not on the CPU. */
async function screenGrids(profiles, quick) {
  const cells = BATCH_SIZES.flatMap((batchSize) => CONCURRENCIES.map((concurrency) => ({ batchSize, concurrency })));
  progress(`self-tuning: screening ${cells.length} fixed settings × ${profiles.length} profiles side by side…`);
  return Promise.all(profiles.map((profile) => Promise.all(cells.map((s) => measure(profile.simulator, profile.records(quick), s, cellLabel(s))))));
}

async function profileRow(profile, screened, quick) {
  const records = profile.records(quick);
  const byWall = [...screened].sort((a, b) => a.wallMs - b.wallMs);
  const worst = byWall.at(-1);
  progress(`self-tuning: ${profile.name} — the three fastest fixed settings again, one at a time…`);
  const alone = [];
  for (const cell of byWall.slice(0, 3)) alone.push(await measure(profile.simulator, records, cell.settings, cell.label));
  const best = alone.reduce((a, b) => (b.wallMs < a.wallMs ? b : a));
  progress(`self-tuning: ${profile.name} — auto…`);
  const auto = await measure(profile.simulator, records, {}, 'auto');
  progress(
    `self-tuning: ${profile.name}: auto ${seconds(auto.wallMs)} (${auto.requests} requests, ${auto.rateLimited} × 429, ${auto.lost} lost), ` +
      `best ${best.label} ${seconds(best.wallMs)}, worst ${worst.label} ${seconds(worst.wallMs)}`,
  );
  return { profile: profile.name, describe: profile.describe, records: records.length, auto, best, worst, lostInGrid: screened.reduce((sum, r) => sum + r.lost, 0) };
}

/** tokensPerMinute at the server's quota: 429s with and without it, and the wall against the capacity ideal. */
async function tokensRow(quick) {
  const perSecond = 6000;
  const simulator = { latencyMs: 100, rateLimit: { tokens: perSecond, windowMs: 1000 }, seed: 5 };
  const records = reviews(quick ? 800 : 2000);
  progress(`self-tuning: tokensPerMinute — ${records.length} records, server quota ${perSecond} tokens/s, without and with tokensPerMinute: ${perSecond * 60}…`);
  const without = await measure(simulator, records, {}, 'auto');
  const withQuota = await measure(simulator, records, { tokensPerMinute: perSecond * 60 }, `auto, tokensPerMinute: ${perSecond * 60}`);
  return { perSecond, records: records.length, rows: [without, withQuota].map((r) => ({ ...r, idealMs: capacityIdealMs(r.answered, perSecond, 1000, simulator.latencyMs) })) };
}

export default {
  id: 'self-tuning',
  async run({ quick }) {
    const screened = await screenGrids(PROFILES, quick);
    const rows = [];
    for (const [i, profile] of PROFILES.entries()) rows.push(await profileRow(profile, screened[i], quick));
    const tokens = await tokensRow(quick);
    const ratio = (r) => r.auto.wallMs / r.best.wallMs;
    const met = rows.every((r) => ratio(r) <= TARGET && r.auto.lost === 0);
    const [without, withQuota] = tokens.rows;
    const tokensMet = withQuota.rateLimited <= without.rateLimited && withQuota.wallMs <= TARGET * withQuota.idealMs && withQuota.lost === 0;
    const settled = (t) => (t ? `${t.batchSize ?? '–'}${t.maxBatchTokens ? ` (≤ ${int(t.maxBatchTokens)} tokens)` : ''} × ${t.concurrency ?? '–'}` : '–');

    return {
      id: 'self-tuning',
      title: 'Self-tuning: no batch or concurrency settings vs a grid of fixed ones',
      setup:
        `Each profile runs the same records through mlpredict with no \`batchSize\` or \`concurrency\` (**auto**: the defaults) and with every fixed ` +
        `setting of the grid batch {${BATCH_SIZES.join(', ')}} × concurrency {${CONCURRENCIES.join(', ')}}, a fresh simulator per run. Every profile's 16 ` +
        `cells are screened side by side, then each profile's three fastest run again one at a time, as auto does; **best** is the fastest of those, **worst** the slowest screened ` +
        `(measured alongside the others: those runs wait on the server, not the CPU). Target: auto ≤ ${TARGET.toFixed(2)}× best, 0 records lost. ` +
        '**settled at** is where auto ended: batch size (token budget learned from the context) × concurrency.',
      columns: [
        { title: 'profile', value: (r) => `${r.profile} (${r.describe})` },
        { title: 'records', value: (r) => int(r.records) },
        { title: 'auto', value: (r) => seconds(r.auto.wallMs) },
        { title: 'best fixed', value: (r) => `${seconds(r.best.wallMs)} (${r.best.label})` },
        { title: 'auto ÷ best', value: (r) => `${ratio(r).toFixed(2)}×` },
        { title: 'worst fixed', value: (r) => `${seconds(r.worst.wallMs)} (${r.worst.label})` },
        { title: 'auto requests', value: (r) => int(r.auto.requests) },
        { title: 'best requests', value: (r) => int(r.best.requests) },
        { title: 'auto 429s', value: (r) => int(r.auto.rateLimited) },
        { title: 'auto overflows', value: (r) => int(r.auto.contextExceeded) },
        { title: 'settled at', value: (r) => settled(r.auto.tuning) },
        { title: 'lost (auto / grid)', value: (r) => `${int(r.auto.lost)} / ${int(r.lostInGrid)}` },
        { title: 'right', value: (r) => `${int(r.auto.right)} / ${int(r.records)}` },
      ],
      rows,
      notes: [
        ...rows.map(
          (r) =>
            `${r.profile}: auto ${seconds(r.auto.wallMs)} vs best fixed ${seconds(r.best.wallMs)} (${r.best.label}) = ${ratio(r).toFixed(2)}× ` +
            `(target ≤ ${TARGET.toFixed(2)}×: ${ratio(r) <= TARGET && r.auto.lost === 0 ? 'met' : 'NOT met'}); worst fixed ${seconds(r.worst.wallMs)} (${r.worst.label}), ${times(r.worst.wallMs / r.auto.wallMs)} auto.`,
        ),
        `tokensPerMinute at the server's quota (${int(tokens.perSecond)} tokens in any second, stated as \`tokensPerMinute: ${int(tokens.perSecond * 60)}\`), ` +
          `${int(tokens.records)} records: without it ${seconds(without.wallMs)} and ${int(without.rateLimited)} × 429 (limits learned from the headers); ` +
          `with it ${seconds(withQuota.wallMs)} and ${int(withQuota.rateLimited)} × 429, ${(withQuota.wallMs / withQuota.idealMs).toFixed(2)}× the capacity ideal of ` +
          `${seconds(withQuota.idealMs)} (its ${int(withQuota.requests)} requests as the server counted them, each let in as soon as the window had room, plus one latency); ` +
          `lost ${int(without.lost)} / ${int(withQuota.lost)} (target: no more 429s than without, ≤ ${TARGET.toFixed(2)}× ideal: ${tokensMet ? 'met' : 'NOT met'}).`,
      ],
      headline:
        `Self-tuning: with no batch or concurrency settings, ${rows.map((r) => `${r.profile} ${ratio(r).toFixed(2)}×`).join(', ')} the best fixed setting ` +
        `of a 16-cell grid (target ≤ ${TARGET.toFixed(2)}×: ${met ? 'met' : 'NOT met'}), 0 records lost: ${met ? 'yes' : 'no'}; ` +
        `tokensPerMinute at the quota ${(withQuota.wallMs / withQuota.idealMs).toFixed(2)}× the capacity ideal, ${int(withQuota.rateLimited)} × 429 vs ${int(without.rateLimited)} without (${tokensMet ? 'met' : 'NOT met'}).`,
      summary: { rows, tokens },
    };
  },
};
