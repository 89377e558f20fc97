#!/usr/bin/env node
/**
 * `mlpredict-sim`: runs the simulator from a shell, for demos and for trying a
 * pipeline against bad weather before meeting the real thing.
 */
import { parseSimArgs, USAGE } from './cli/sim-args.js';
import { startSimulator } from './simulator/server.js';

const command = parseSimArgs(process.argv.slice(2));
if (command.kind === 'help') {
  console.log(USAGE);
} else if (command.kind === 'error') {
  console.error(`mlpredict-sim: ${command.message}\nRun 'mlpredict-sim --help' for the options.`);
  process.exitCode = 2;
} else {
  let sim;
  try {
    sim = await startSimulator(command.options);
  } catch (error) {
    console.error(`mlpredict-sim: ${(error as Error).message}`);
    process.exit(1);
  }
  console.log(sim.url);
  const ticker = command.statsEveryMs === undefined ? undefined : setInterval(() => console.error(JSON.stringify(sim.stats)), command.statsEveryMs);
  const stop = async (signal: string) => {
    if (ticker) clearInterval(ticker);
    await sim.close();
    console.error(`mlpredict-sim: ${signal}, stopped after ${sim.stats.requests} requests: ${JSON.stringify(sim.stats)}`);
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}
