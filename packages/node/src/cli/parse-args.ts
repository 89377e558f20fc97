/**
 * argv → flag values, checked against the flag table: unknown flags and missing
 * values are usage errors that name the flag (with a suggestion for typos). One
 * argument that is not a flag is the input file (`mlpredict reviews.csv`).
 */
import { suggestName } from '@mlpredict/core/internals';
import type { FlagSpec } from './cli-flags.js';
import { UsageError } from './usage-error.js';

/** Flag name (kebab case) → its raw value: a string, or a boolean for switches. */
export type FlagValues = Map<string, string | boolean>;

/**
 * @example
 * parseArgs(['--batch-size', '50', '--no-progress', 'in.jsonl'], allFlags())
 * // → Map { 'batch-size' => '50', 'progress' => false, 'input' => 'in.jsonl' }
 */
export function parseArgs(argv: readonly string[], flags: readonly FlagSpec[]): FlagValues {
  const byName = new Map(flags.map((f) => [f.name, f]));
  const byShort = new Map(flags.filter((f) => f.short).map((f) => [f.short!, f]));
  const values: FlagValues = new Map();
  const positional: string[] = [];

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      // Everything after `--` is a file name, even one that starts with a dash.
      positional.push(...argv.slice(i + 1));
      break;
    }
    const short = /^-([a-zA-Z])$/.exec(arg);
    if (arg === '-' || (!arg.startsWith('-') && !short)) {
      positional.push(arg);
      continue;
    }
    if (!arg.startsWith('--') && !short) throw new UsageError(unknownFlagMessage(arg, flags));
    const eq = arg.indexOf('=');
    const rawName = short ? short[1]! : arg.slice(2, eq === -1 ? undefined : eq);
    const inline = short || eq === -1 ? undefined : arg.slice(eq + 1);
    let spec = short ? byShort.get(rawName) : byName.get(rawName);
    let negated = false;
    if (!spec && !short && rawName.startsWith('no-')) {
      const positive = byName.get(rawName.slice(3));
      if (positive?.kind === 'switch') [spec, negated] = [positive, true];
    }
    if (!spec) throw new UsageError(unknownFlagMessage(arg.split('=')[0]!, flags));

    if (spec.kind === 'switch') {
      if (negated) {
        if (inline !== undefined) throw new UsageError(`--no-${spec.name} takes no value`);
        values.set(spec.name, false);
      } else {
        values.set(spec.name, inline === undefined ? true : switchValue(spec.name, inline));
      }
      continue;
    }
    let value = inline;
    if (value === undefined) {
      const next = argv[i + 1];
      // A following flag means the value was forgotten, not that it is the value.
      if (next === undefined || (next.startsWith('-') && isFlag(next, byName, byShort))) {
        throw new UsageError(`--${spec.name} needs a value${spec.placeholder ? ` (${spec.placeholder})` : ''}`);
      }
      value = next;
      i++;
    }
    values.set(spec.name, value);
  }
  if (positional.length > 1) throw new UsageError(`one input file at a time; got ${positional.map((p) => `"${p}"`).join(', ')}`);
  if (positional.length === 1) {
    if (values.has('input')) throw new UsageError(`give the input once: "${positional[0]}" or --input "${values.get('input')}"`);
    values.set('input', positional[0]!);
  }
  return values;
}

function switchValue(name: string, value: string): boolean {
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new UsageError(`--${name}: expected true or false, got "${value}"`);
}

function isFlag(arg: string, byName: Map<string, FlagSpec>, byShort: Map<string, FlagSpec>): boolean {
  if (/^-[a-zA-Z]$/.test(arg)) return byShort.has(arg.slice(1));
  if (!arg.startsWith('--')) return false;
  const name = arg.slice(2).split('=')[0]!;
  return byName.has(name) || (name.startsWith('no-') && byName.has(name.slice(3)));
}

function unknownFlagMessage(flag: string, flags: readonly FlagSpec[]): string {
  const name = flag.replace(/^-+/, '');
  const names = flags.flatMap((f) => (f.kind === 'switch' ? [f.name, `no-${f.name}`] : [f.name]));
  const hint = suggestName(name, names);
  return `unknown flag ${flag}${hint ? ` (did you mean --${hint}?)` : ''}`;
}
