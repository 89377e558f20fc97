/**
 * Tables and results.md. Every scenario returns the same shape —
 * { id, title, setup, columns, rows, notes, chart? } — so printing and writing stay
 * one function each.
 */
import os from 'node:os';

export const seconds = (ms) => (ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${(ms / 1000).toFixed(2)} s`);
export const times = (x) => (Number.isFinite(x) ? `${x >= 10 ? x.toFixed(0) : x.toFixed(1)}×` : '–');
export const int = (n) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '–');
export const oneDecimal = (n) => (Number.isFinite(n) ? n.toFixed(1) : '–');
export const megabytes = (bytes) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

/** The columns of every "libraries side by side" table. */
export const LIBRARY_COLUMNS = [
  { title: 'library', value: (r) => r.library },
  { title: 'wall', value: (r) => seconds(r.wallMs) },
  { title: 'ideal', value: (r) => seconds(r.idealMs) },
  { title: 'wall ÷ ideal', value: (r) => times(r.wallMs / r.idealMs) },
  { title: 'wall ÷ mlpredict', value: (r) => times(r.wallMs / r.mlpredictWallMs) },
  { title: 'requests', value: (r) => int(r.requests) },
  { title: 'prompt tokens / record', value: (r) => oneDecimal(r.promptTokensPerRecord) },
  { title: '429s', value: (r) => int(r.rateLimited) },
  { title: 'peak in flight', value: (r) => int(r.peakInFlight) },
  { title: 'lost', value: (r) => `${int(r.lost)}${r.crash ? ' (crashed)' : ''}` },
  { title: 'right', value: (r) => `${int(r.right)} / ${int(r.records)}` },
  { title: 'wrong', value: (r) => int(r.wrong) },
];

/** Adds `mlpredictWallMs` (the first mlpredict row's wall) to every row, for the "÷ mlpredict" column. */
export function relativeToMlpredict(rows) {
  const reference = rows.find((r) => r.library.startsWith('mlpredict'));
  return rows.map((r) => ({ ...r, mlpredictWallMs: reference?.wallMs ?? NaN }));
}

export function markdownTable(columns, rows) {
  const cells = rows.map((row) => columns.map((c) => String(c.value(row)).replaceAll('|', '\\|')));
  // Right-align columns whose every cell starts with a number (or the – of "none").
  const numeric = columns.map((_, i) => cells.length > 0 && cells.every((line) => /^[\d–]/.test(line[i])));
  const widths = columns.map((c, i) => Math.max(c.title.length, ...cells.map((line) => line[i].length), 3));
  const pad = (text, i) => (numeric[i] ? text.padStart(widths[i]) : text.padEnd(widths[i]));
  const line = (parts) => `| ${parts.join(' | ')} |`;
  return [
    line(columns.map((c, i) => pad(c.title, i))),
    line(widths.map((w, i) => (numeric[i] ? '-'.repeat(w - 1) + ':' : '-'.repeat(w)))),
    ...cells.map((parts) => line(parts.map(pad))),
  ].join('\n');
}

export function renderSection(result) {
  return [
    `## ${result.title}`,
    '',
    result.setup,
    '',
    markdownTable(result.columns, result.rows),
    ...(result.notes?.length ? ['', ...result.notes.map((n) => `- ${n}`)] : []),
    '',
  ].join('\n');
}

export function machineInfo() {
  const cpus = os.cpus();
  return {
    cores: typeof os.availableParallelism === 'function' ? os.availableParallelism() : cpus.length,
    cpu: cpus[0]?.model?.trim() ?? 'unknown',
    memory: megabytes(os.totalmem()),
    node: process.version,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    // Other work on the machine shows in the CPU-bound numbers (overhead, memory).
    loadAverage: os.loadavg()[0].toFixed(2),
  };
}

export function renderResultsMarkdown({ sections, machine, totalMs, flags, versions, chartFile }) {
  const partial = flags.only || flags.quick;
  return [
    '# mlpredict benchmarks',
    '',
    `Results of \`pnpm bench${flags.quick ? ' -- --quick' : ''}${flags.only ? ` -- --only ${flags.only.join(',')}` : ''}\`, one process, ` +
      `${seconds(totalMs)} in all, on ${machine.cores} cores (${machine.cpu}), ${machine.memory} RAM, Node ${machine.node}, ${machine.platform}, ` +
      `load average ${machine.loadAverage} at the start` +
      `${partial ? ' — a partial run' : ''}.`,
    '',
    'Every library runs against the bundled OpenAI-compatible simulator (`@mlpredict/testing`) over real HTTP on ' +
      'localhost, a fresh server per run with the same settings and seed, so latency, rate limits and faults are the ' +
      'same for everyone. Requests and tokens are the server’s counts. A record is **lost** when its caller got no ' +
      'usable answer (an exception, an empty or unreadable reply), **right** when the answer is the simulator’s own ' +
      'label (`sentimentOf`), **wrong** when an answer came back but was not right (a silent error). The CPU-bound ' +
      'scenarios (memory, then overhead) run first, in a fresh process; the tables below are in reading order.',
    '',
    '## Summary',
    '',
    ...sections.filter((s) => s.headline).map((s) => `- ${s.headline}`),
    '',
    ...(chartFile ? [`![Wall time per library and scenario (log scale)](${chartFile})`, ''] : []),
    ...sections.map(renderSection),
    '## How to reproduce',
    '',
    '```sh',
    'pnpm install',
    'pnpm bench                      # everything (~11 minutes on 2 cores; scale-out needs redis-server); writes this file and results.svg',
    'pnpm bench -- --quick           # smaller record counts, a smoke run',
    'pnpm bench -- --only memory     # one scenario (latency, rate-limited, faulty, batch-size, cost, self-tuning, scale-out, overhead, memory)',
    '```',
    '',
    'Progress goes to stderr, the tables to stdout. The code is in `integration-tests/bench/`: `run.mjs` (entry), ' +
      '`scenarios/` (one file per table), `peers/` (how each library is called — the way its docs show), `fake-model.mjs` ' +
      '(the instant in-process model of the overhead run), `report.mjs` and `svg-chart.mjs`.',
    '',
    `Library versions: ${Object.entries(versions).map(([name, v]) => `${name} ${v}`).join(', ')}.`,
    '',
  ].join('\n');
}
