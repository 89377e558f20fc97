#!/usr/bin/env node
/**
 * `pnpm bench`: every scenario in one process, progress on stderr, the tables on
 * stdout, and — for a full run — results.md with results.svg beside this file.
 *
 *   pnpm bench                      # all scenarios, ~11 minutes on 2 cores (scale-out needs redis-server)
 *   pnpm bench -- --quick           # smaller record counts
 *   pnpm bench -- --only memory     # one scenario (or a comma-separated list)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs, SCENARIO_IDS, USAGE } from './lib/args.mjs';
import { progress } from './lib/log.mjs';
import { collectGarbage } from './lib/memory-meter.mjs';
import { machineInfo, renderResultsMarkdown, renderSection, seconds } from './report.mjs';
import { renderBarChart } from './svg-chart.mjs';

// Loaded lazily so `--only overhead` does not pay for LangChain's import.
const SCENARIOS = {
  latency: () => import('./scenarios/latency-bound.mjs'),
  'rate-limited': () => import('./scenarios/rate-limited.mjs'),
  faulty: () => import('./scenarios/faulty.mjs'),
  'batch-size': () => import('./scenarios/batch-size.mjs'),
  cost: () => import('./scenarios/cost.mjs'),
  'scale-out': () => import('./scenarios/scale-out.mjs'),
  overhead: () => import('./scenarios/overhead.mjs'),
  memory: () => import('./scenarios/memory.mjs'),
  'self-tuning': () => import('./scenarios/self-tuning.mjs'),
};

// Run order differs from report order: memory and overhead first, while the process
// is fresh, so RSS growth starts from a small heap (the stricter measure) and the
// overhead number is not paying for garbage the other scenarios left behind.
const RUN_ORDER = ['memory', 'overhead', 'latency', 'rate-limited', 'faulty', 'batch-size', 'cost', 'self-tuning', 'scale-out'];

const RESULTS_MD = new URL('./results.md', import.meta.url);
const RESULTS_SVG = new URL('./results.svg', import.meta.url);

function versionOf(name) {
  try {
    return JSON.parse(readFileSync(new URL(`./node_modules/${name}/package.json`, import.meta.url), 'utf8')).version;
  } catch {
    return '?';
  }
}

async function main() {
  let flags;
  try {
    flags = parseArgs(process.argv.slice(2));
  } catch (error) {
    console.error(`${error.message}\n${USAGE}`);
    process.exit(2);
  }
  if (flags.help) return console.log(USAGE);

  const selected = flags.only ?? SCENARIO_IDS;
  const machine = machineInfo();
  progress(`${selected.join(', ')}${flags.quick ? ' (quick)' : ''} on ${machine.cores} cores, Node ${machine.node}`);
  const started = performance.now();
  const byId = {};
  for (const id of RUN_ORDER.filter((s) => selected.includes(s))) {
    const scenario = (await SCENARIOS[id]()).default;
    const scenarioStarted = performance.now();
    byId[id] = await scenario.run({ quick: flags.quick });
    collectGarbage(); // what one scenario left behind is not the next one's cost
    progress(`${id}: done in ${seconds(performance.now() - scenarioStarted)}`);
  }
  const results = SCENARIO_IDS.filter((id) => byId[id]).map((id) => byId[id]);
  const totalMs = performance.now() - started;

  process.stdout.write(results.map(renderSection).join('\n') + '\n');
  process.stdout.write(['## Summary', '', ...results.filter((r) => r.headline).map((r) => `- ${r.headline}`), ''].join('\n') + '\n');
  process.stdout.write(`Total: ${seconds(totalMs)} on ${machine.cores} cores, Node ${machine.node}, load average ${machine.loadAverage} at the start.\n`);

  if ((flags.only || flags.quick) && !flags.write) {
    return progress('partial run: results.md not written (add --write to write it anyway)');
  }
  const charted = results.filter((r) => r.chart);
  const chartFile = charted.length ? 'results.svg' : undefined;
  if (chartFile) {
    const svg = renderBarChart({
      title: 'mlpredict vs one request per record: wall time',
      subtitle: `pnpm bench on ${machine.cores} cores, Node ${machine.node}; simulator over HTTP, 100–200 ms per request`,
      groups: charted.map((r) => ({ title: r.chart.title + ' — ' + r.title.split(': ').slice(1).join(': '), bars: r.chart.bars })),
    });
    writeFileSync(RESULTS_SVG, svg);
  }
  const versions = Object.fromEntries(
    ['@mlpredict/core', 'openai', 'p-limit', '@langchain/openai', '@langchain/core', 'ai', '@ai-sdk/openai', 'rxjs', '@redis/client'].map((name) => [name, versionOf(name)]),
  );
  writeFileSync(RESULTS_MD, renderResultsMarkdown({ sections: results, machine, totalMs, flags, versions, chartFile }));
  progress(`wrote ${new URL(RESULTS_MD).pathname}${chartFile ? ' and results.svg' : ''}`);
}

main().then(
  // Keep-alive sockets or a stray timer in a peer library must not hold the process.
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
