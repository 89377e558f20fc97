/** `mlpredict --help`: every flag with its value, default and meaning, from the flag table. */
import type { FlagSpec } from './cli-flags.js';

const GROUPS: ReadonlyArray<[FlagSpec['group'], string]> = [
  ['input and output', 'Input and output'],
  ['model', 'Model'],
  ['cost', 'Cost and budget'],
  ['options', 'Prediction options (the library\'s options, kebab-cased; see @mlpredict/core)'],
  ['run', 'Run'],
];

function showDefault(value: unknown): string {
  return value === undefined ? '' : ` (default: ${JSON.stringify(value)})`;
}

function usageOf(flag: FlagSpec): string {
  const names = `${flag.short ? `-${flag.short}, ` : ''}--${flag.name}`;
  // A switch that is on by default is worth showing with its off form.
  if (flag.kind === 'switch') return flag.default === true ? `${names}, --no-${flag.name}` : names;
  return `${names} ${flag.placeholder ?? 'VALUE'}`;
}

/**
 * @example
 * helpText(allFlags()) // → 'Usage: mlpredict [--input FILE] [--output FILE] [flags]\n…'
 */
export function helpText(flags: readonly FlagSpec[]): string {
  const lines = [
    'Usage: mlpredict [FILE] [-o FILE] [flags]',
    '',
    'Runs an LLM over every record of a CSV, JSON Lines or plain text file (or stdin),',
    'many records per request, and writes one row per record, in input order. JSON Lines:',
    '  {"input":…,"value":…}  or  {"input":…,"error":{"code":…,"message":…,"attempts":…}}',
    'CSV (the default for CSV input): the input\'s columns, then the value and error columns.',
    'An unreadable line becomes an error row with code "bad_input"; the run goes on.',
    'Ctrl-C stops reading and finishes the records in flight; rerun with --resume to continue.',
    'With --deferred --job-dir DIR the rows go out as batch jobs at half price; Ctrl-C leaves the',
    'jobs running at the provider, and the same command with --resume picks them up.',
    '',
    'Environment: OPENAI_API_KEY, OPENAI_BASE_URL, OPENAI_MODEL (flags override them).',
    'Exit status: 0 when the run completed (error rows included), 1 with --fail-on-error',
    'if any row has an error, when the run failed, or when --max-cost / --max-tokens-total',
    'ran out before the last row (rerun with --resume), 2 for a usage error, 130 after',
    'Ctrl-C, 143 after SIGTERM.',
  ];
  // Long usages (an enum's values) take a line of their own rather than widening every row.
  const width = 32;
  for (const [group, title] of GROUPS) {
    lines.push('', `${title}:`);
    for (const flag of flags.filter((f) => f.group === group)) {
      const usage = usageOf(flag);
      const text = `${flag.description}${showDefault(flag.default)}`;
      if (usage.length < width) lines.push(`  ${usage.padEnd(width)}${text}`);
      else lines.push(`  ${usage}`, `  ${''.padEnd(width)}${text}`);
    }
  }
  lines.push(
    '',
    'Examples:',
    '  mlpredict reviews.csv -f text -l positive,negative,neutral --value-field sentiment -n',
    '  mlpredict reviews.csv -o sentiments.csv -f text -l positive,negative,neutral --value-field sentiment',
    '  mlpredict reviews.csv -o sentiments.csv -f text -l positive,negative,neutral --value-field sentiment --resume',
    '  mlpredict reviews.csv -o sentiments.csv -f text -l positive,negative,neutral --value-field sentiment --max-cost 5',
    '  mlpredict reviews.csv -o sentiments.csv -f text -l positive,negative,neutral --value-field sentiment --deferred --job-dir jobs/reviews',
    '  echo \'I love it\' | mlpredict --instruction "Give the sentiment."',
  );
  return `${lines.join('\n')}\n`;
}
