/**
 * The opt-in lies against mlpredict's whole path, in process (the over-HTTP run is
 * in integration-tests/trust-over-http.test.ts): whatever mix of lies and honest
 * defects a seed draws, no record ever gets a wrong value.
 */
import { predictAll, RunStats } from '@mlpredict/core';
import { ruleModel, sentimentOf, type DefectRates } from '../index';

const TEXTS = ['great phone', 'it broke', 'arrived on Tuesday', 'love it', 'terrible', 'it is blue', 'works perfectly', 'a waste of money'];
const records = Array.from({ length: 240 }, (_, i) => `${TEXTS[i % TEXTS.length]} (#${i})`);
const fast = { batchTimeoutMs: 0, concurrency: 4, retry: { strategy: 'fixed' as const, baseDelayMs: 0, maxDelayMs: 0 } };

const LIES: DefectRates = { shiftedIndices: 0.2, insertedItem: 0.2, nestedArray: 0.2, errorObject: 0.1, garbageUsage: 0.2, bracketLoop: 0.1 };
const HONEST: DefectRates = { missing: 0.2, shuffle: 0.3, truncate: 0.2, wrongIndexBase: 0.15, duplicate: 0.2, conflict: 0.1, extra: 0.1, stringIndex: 0.2, fence: 0.2, prose: 0.2 };

const FORMATS = ['json', 'xml', 'delimited'] as const;
/** Twelve seeds, each its own index base, batch size and response format. */
const CASES = Array.from({ length: 12 }, (_, i) => ({ seed: i + 1, indexBase: i % 2, batchSize: 1 + ((i * 5) % 16), responseFormat: FORMATS[i % 3]! }));

it.each(CASES)('lies mixed with every honest defect never give a wrong value (seed $seed, from $indexBase, batch $batchSize, $responseFormat)', async ({ seed, ...options }) => {
  const stats = new RunStats();
  const model = ruleModel(sentimentOf, { defects: { ...LIES, ...HONEST }, seed });
  const results = await predictAll(model, records, { ...fast, ...options, stats, circuitBreaker: false });
  expect(results.map((r) => r.input)).toEqual(records);
  const wrong = results.filter((r) => r.value !== undefined && r.value !== sentimentOf(r.input));
  expect(wrong).toEqual([]);
  // Lies cost requests, not answers: most records still get theirs (lone records, with three tries, fail most).
  expect(results.filter((r) => r.value !== undefined).length).toBeGreaterThan(records.length * 0.7);
  for (const r of results) if (r.error) expect(['parse', 'missing', 'http']).toContain(r.error.code);
  const { promptTokens, completionTokens } = stats.snapshot();
  expect(Number.isFinite(promptTokens) && Number.isFinite(completionTokens)).toBe(true);
});
