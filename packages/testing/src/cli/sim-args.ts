/**
 * The `mlpredict-sim` command line → simulator options. Pure (no I/O), so every
 * flag can be tested without starting a process.
 */
import { parseArgs } from 'node:util';
import { DEFECT_NAMES, type DefectRates } from '../answer-defects.js';
import type { AccuracyCurve } from '../accuracy-curve.js';
import { BATCH_SETTING_NAMES, type BatchSettings } from '../simulator/batch-settings.js';
import { FAULT_NAMES, type FaultRates } from '../simulator/faults.js';
import { resolveSimulatorOptions, type SimulatorOptions } from '../simulator/options.js';

const ACCURACY_NAMES = ['atBatchSize1', 'perRecord', 'perPosition', 'floor'];
/** Every batch setting but the clock, which only code can pass. */
const BATCH_FLAG_NAMES = BATCH_SETTING_NAMES.filter((name) => name !== 'clock');

export const USAGE = `mlpredict-sim: an OpenAI-compatible simulator for testing mlpredict pipelines

Usage: mlpredict-sim [options]

  --port <n>                    port to listen on (default 0: any free port)
  --host <addr>                 interface to listen on (default 127.0.0.1)
  --latency <ms|min-max>        delay per request, e.g. 100 or 50-200 (default 0)
  --seed <n>                    seeds defects, faults and latency (default 1)
  --defect <name=rate>          inject a defect with probability rate (0..1); repeatable
                                names: ${DEFECT_NAMES.join(', ')}
  --fault <name=rate>           inject a fault with probability rate (0..1); repeatable
                                names: ${FAULT_NAMES.join(', ')}
  --slow-ms <ms>                extra delay of the slow fault (default 1000)
  --rate-limit-requests <n>     at most n requests per window (429 beyond)
  --rate-limit-tokens <n>       at most n tokens per window (prompt estimate + max_tokens)
  --window-ms <ms>              the rate-limit window (default 60000)
  --max-in-flight <n>           at most n requests in progress (429 beyond)
  --max-embedding-inputs <n>    embedding inputs per request (default 2048)
  --latency-per-token <kind=ms> chat delay per token on top of --latency; kind: prompt, completion;
                                repeatable (a token-bound server: --latency 100 --latency-per-token completion=2)
  --context-tokens <n>          context window: prompt + max_tokens over it → 400 context_length_exceeded
  --accuracy <name=value>       opt-in: answers go wrong as batches grow; repeatable
                                names: ${ACCURACY_NAMES.join(', ')}
  --batch <name=value>          how /v1/batches jobs behave; repeatable
                                names: ${BATCH_FLAG_NAMES.join(', ')}
  --model <id>                  the model id GET /v1/models lists (default mlpredict-sim)
  --api-key <key>               require Authorization: Bearer <key>
  --stats-every <ms>            print stats to stderr every ms
  -h, --help                    show this help

Prints the base URL (…/v1) on stdout and runs until SIGINT or SIGTERM.
Example: mlpredict-sim --port 8787 --latency 100 --defect fence=0.1 --rate-limit-requests 5 --window-ms 1000
Example: mlpredict-sim --batch completionDelayMs=30000 --batch failedLineRate=0.05`;

/** What the command line asks for. */
export type SimCommand =
  | { kind: 'help' }
  | { kind: 'run'; options: SimulatorOptions; statsEveryMs?: number }
  | { kind: 'error'; message: string };

/**
 * @example
 * parseSimArgs(['--latency', '50-200', '--defect', 'fence=0.1']);
 * // → { kind: 'run', options: { latencyMs: [50, 200], defects: { fence: 0.1 } } }
 * parseSimArgs(['--bogus']); // → { kind: 'error', message: "unknown option '--bogus'" }
 */
export function parseSimArgs(argv: readonly string[]): SimCommand {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        latency: { type: 'string' },
        seed: { type: 'string' },
        defect: { type: 'string', multiple: true },
        fault: { type: 'string', multiple: true },
        'slow-ms': { type: 'string' },
        'rate-limit-requests': { type: 'string' },
        'rate-limit-tokens': { type: 'string' },
        'window-ms': { type: 'string' },
        'max-in-flight': { type: 'string' },
        'max-embedding-inputs': { type: 'string' },
        'latency-per-token': { type: 'string', multiple: true },
        'context-tokens': { type: 'string' },
        accuracy: { type: 'string', multiple: true },
        batch: { type: 'string', multiple: true },
        model: { type: 'string' },
        'api-key': { type: 'string' },
        'stats-every': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    return { kind: 'error', message: flagErrorMessage(error) };
  }
  if (values.help) return { kind: 'help' };

  try {
    const options: SimulatorOptions = {};
    const number = (flag: string, text: string | undefined, check: (n: number) => boolean, expected: string): number | undefined => {
      if (text === undefined) return undefined;
      const n = Number(text);
      if (text.trim() === '' || !Number.isFinite(n) || !check(n)) throw new Error(`--${flag} expects ${expected}, got '${text}'`);
      return n;
    };
    const integer = (flag: string, text: string | undefined, min: number) => number(flag, text, (n) => Number.isInteger(n) && n >= min, `an integer ≥ ${min}`);
    const nonNegative = (flag: string, text: string | undefined) => number(flag, text, (n) => n >= 0, 'a number ≥ 0');

    options.port = integer('port', values.port, 0);
    if (options.port !== undefined && options.port > 65535) throw new Error(`--port expects a port from 0 to 65535, got '${values.port}'`);
    options.host = values.host;
    options.seed = number('seed', values.seed, Number.isInteger, 'an integer');
    if (values.latency !== undefined) options.latencyMs = parseLatency(values.latency);
    if (values.defect) options.defects = parseRates('defect', values.defect, DEFECT_NAMES) as DefectRates;
    const faults: FaultRates = values.fault ? (parseRates('fault', values.fault, FAULT_NAMES) as FaultRates) : {};
    const slowMs = nonNegative('slow-ms', values['slow-ms']);
    if (slowMs !== undefined) faults.slowMs = slowMs;
    if (values.fault || slowMs !== undefined) options.faults = faults;

    const requests = integer('rate-limit-requests', values['rate-limit-requests'], 1);
    const tokens = integer('rate-limit-tokens', values['rate-limit-tokens'], 1);
    const windowMs = number('window-ms', values['window-ms'], (n) => n > 0, 'a number > 0');
    if (requests !== undefined || tokens !== undefined) options.rateLimit = { requests, tokens, windowMs: windowMs ?? 60_000 };
    else if (windowMs !== undefined) throw new Error('--window-ms needs --rate-limit-requests or --rate-limit-tokens');

    options.maxInFlight = integer('max-in-flight', values['max-in-flight'], 1);
    options.maxEmbeddingInputs = integer('max-embedding-inputs', values['max-embedding-inputs'], 1);
    options.model = values.model;
    options.apiKey = values['api-key'];
    if (values['latency-per-token']) options.latencyPerTokenMs = parseSettings('latency-per-token', values['latency-per-token'], ['prompt', 'completion']) as SimulatorOptions['latencyPerTokenMs'];
    options.contextTokens = integer('context-tokens', values['context-tokens'], 1);
    if (values.accuracy) options.accuracy = parseSettings('accuracy', values.accuracy, ACCURACY_NAMES) as AccuracyCurve;
    if (values.batch) options.batch = parseSettings('batch', values.batch, BATCH_FLAG_NAMES, ['outputOrder']) as BatchSettings;
    const statsEveryMs = number('stats-every', values['stats-every'], (n) => n > 0, 'a number > 0');
    const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as SimulatorOptions;
    // The simulator's own checks catch ranges the flags can't (an accuracy floor above its start, …).
    resolveSimulatorOptions(defined);
    return { kind: 'run', options: defined, ...(statsEveryMs !== undefined && { statsEveryMs }) };
  } catch (error) {
    return { kind: 'error', message: (error as Error).message };
  }
}

function parseLatency(text: string): number | [number, number] {
  const range = /^\s*(\d+(?:\.\d+)?)\s*[-,]\s*(\d+(?:\.\d+)?)\s*$/.exec(text);
  if (range) {
    const [min, max] = [Number(range[1]), Number(range[2])];
    if (min > max) throw new Error(`--latency range '${text}' has min > max`);
    return [min, max];
  }
  const fixed = Number(text);
  if (text.trim() === '' || !Number.isFinite(fixed) || fixed < 0) throw new Error(`--latency expects ms or min-max (e.g. 100 or 50-200), got '${text}'`);
  return fixed;
}

function parseRates(flag: string, entries: readonly string[], names: readonly string[]): Record<string, number> {
  const rates: Record<string, number> = {};
  for (const entry of entries) {
    const [name, rateText, ...rest] = entry.split('=');
    const rate = Number(rateText);
    if (!name || rateText === undefined || rest.length > 0 || rateText.trim() === '' || !(rate >= 0 && rate <= 1)) {
      throw new Error(`--${flag} expects name=rate with rate from 0 to 1, got '${entry}'`);
    }
    if (!names.includes(name)) throw new Error(`--${flag}: unknown ${flag} '${name}'; expected one of ${names.join(', ')}`);
    rates[name] = rate;
  }
  return rates;
}

/** `name=value` entries of a grouped setting; values are numbers except for the names in `textNames`. */
function parseSettings(flag: string, entries: readonly string[], names: readonly string[], textNames: readonly string[] = []): Record<string, number | string> {
  const settings: Record<string, number | string> = {};
  for (const entry of entries) {
    const [name, valueText, ...rest] = entry.split('=');
    if (!name || valueText === undefined || rest.length > 0 || valueText.trim() === '') throw new Error(`--${flag} expects name=value, got '${entry}'`);
    if (!names.includes(name)) throw new Error(`--${flag}: unknown setting '${name}'; expected one of ${names.join(', ')}`);
    const value = Number(valueText);
    if (!textNames.includes(name) && !Number.isFinite(value)) throw new Error(`--${flag} ${name} expects a number, got '${valueText}'`);
    settings[name] = textNames.includes(name) ? valueText : value;
  }
  return settings;
}

/** parseArgs' errors, reduced to the part that names the flag. */
function flagErrorMessage(error: unknown): string {
  const message = (error as Error).message;
  const unknown = /Unknown option '([^']+)'/.exec(message);
  if (unknown) return `unknown option '${unknown[1]}'`;
  return message.split('\n')[0]!.replace(/\. To specify.*$/, '');
}
