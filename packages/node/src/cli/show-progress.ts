/**
 * Progress on stderr while a run works: a `cli-progress` bar when stderr is a
 * terminal, else a plain line every few seconds (logs and CI keep a record
 * without being flooded), or nothing with `--no-progress`.
 */
import type { Writable } from 'node:stream';
import cliProgress from 'cli-progress';
import { errorsText, formatDuration, formatUsd } from './format-summary.js';
import type { RunTally } from './run-tally.js';

export interface ProgressDisplay {
  /** Something in the tally changed. */
  update(): void;
  /** The run ended: clear timers, leave the last state on screen. */
  stop(): void;
}

export interface ProgressOptions {
  enabled: boolean;
  /** Milliseconds between plain lines when stderr is not a terminal. */
  intervalMs?: number;
}

const NO_PROGRESS: ProgressDisplay = { update: () => undefined, stop: () => undefined };

/**
 * @example
 * const progress = showProgress(tally, process.stderr, { enabled: true });
 * // … tally.addRow(row); progress.update(); …
 * progress.stop();
 */
export function showProgress(tally: RunTally, stderr: Writable & { isTTY?: boolean }, options: ProgressOptions): ProgressDisplay {
  if (!options.enabled) return NO_PROGRESS;
  return stderr.isTTY ? progressBar(tally, stderr) : progressLines(tally, stderr, options.intervalMs ?? 5000);
}

/** Time left at the current rate, or `?` before it is known. */
function etaText(tally: RunTally): string {
  const eta = tally.etaMs;
  return eta === undefined ? '?' : formatDuration(eta);
}

/** Everything but the rows: speed, errors by code, requests, tokens, cost so far. */
function counters(tally: RunTally): string {
  const cost = tally.cost === undefined ? '' : ` | ${formatUsd(tally.cost)}`;
  return `${tally.rate.toFixed(1)} rows/s | ${errorsText(tally)} | ${tally.requests} requests | ${tally.tokens} tokens${cost}`;
}

function progressBar(tally: RunTally, stderr: Writable): ProgressDisplay {
  const known = tally.total !== undefined;
  const bar = new cliProgress.SingleBar(
    {
      stream: stderr as unknown as NodeJS.WritableStream,
      // `{eta}` is cli-progress's own (by value, not by rate), hence `{remaining}`.
      format: known ? ' {bar} {value}/{total} rows | ETA {remaining} | {counters}' : ' {value} rows | {counters}',
      barsize: 30,
      hideCursor: true,
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  const payload = () => ({ counters: counters(tally), remaining: etaText(tally) });
  bar.start(tally.total ?? 0, tally.done, payload());
  return {
    update: () => bar.update(tally.done, payload()),
    stop: () => {
      bar.update(tally.done, payload());
      bar.stop();
    },
  };
}

function progressLines(tally: RunTally, stderr: Writable, intervalMs: number): ProgressDisplay {
  const line = () => {
    const done = tally.total === undefined ? `${tally.done} rows` : `${tally.done}/${tally.total} rows, ETA ${etaText(tally)}`;
    stderr.write(`mlpredict: ${done}, ${counters(tally).replaceAll(' | ', ', ')}\n`);
  };
  const timer = setInterval(line, intervalMs);
  // A progress line must never keep the process alive on its own.
  timer.unref();
  return { update: () => undefined, stop: () => clearInterval(timer) };
}
