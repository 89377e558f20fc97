/**
 * Command-line flags of `pnpm bench`: `--only <scenario[,scenario]>`, `--quick`,
 * `--write` (write results.md / results.svg even for a partial or quick run).
 */
export const SCENARIO_IDS = ['latency', 'rate-limited', 'faulty', 'batch-size', 'cost', 'self-tuning', 'scale-out', 'overhead', 'memory'];

export function parseArgs(argv) {
  // `pnpm bench -- --only memory` may hand us the `--` itself.
  const args = argv.filter((a) => a !== '--');
  const flags = { only: undefined, quick: false, write: false };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--quick') flags.quick = true;
    else if (arg === '--write') flags.write = true;
    else if (arg === '--only' || arg.startsWith('--only=')) {
      const value = arg.includes('=') ? arg.slice('--only='.length) : args[++i];
      if (!value) throw new Error('--only needs a scenario name: ' + SCENARIO_IDS.join(', '));
      flags.only = value.split(',').map((s) => s.trim()).filter(Boolean);
      const unknown = flags.only.filter((id) => !SCENARIO_IDS.includes(id));
      if (unknown.length) throw new Error(`unknown scenario ${unknown.join(', ')}; expected one of ${SCENARIO_IDS.join(', ')}`);
    } else if (arg === '--help' || arg === '-h') {
      flags.help = true;
    } else {
      throw new Error(`unknown flag ${arg}; try --help`);
    }
  }
  return flags;
}

export const USAGE = `usage: pnpm bench [-- --only <${SCENARIO_IDS.join('|')}>[,…]] [--quick] [--write]
  --only   run only these scenarios (comma-separated)
  --quick  smaller record counts (a smoke run, ~1 minute)
  --write  write results.md / results.svg even for a partial or quick run
           (a full run always writes them)`;
