/**
 * Turns zod issues into one message a person can act on: the option's name (and
 * dotted twin), what was expected, what was given, and a suggestion for typos.
 */
import type { z } from 'zod';
import { describeOption } from './option-keys.js';

type Issue = z.core.$ZodIssue;

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return 'a function';
  if (value === null || typeof value !== 'object') return String(value);
  return Array.isArray(value) ? 'an array' : 'an object';
}

/**
 * The closest known name by edit distance (case-insensitive), if it is close
 * enough to be a typo.
 *
 * @example
 * suggestName('batchsize', ['batchSize', 'concurrency']) // → 'batchSize'
 */
export function suggestName(unknown: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const name of known) {
    const d = editDistance(unknown.toLowerCase(), name.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [name, d];
  }
  return bestDistance <= Math.max(2, Math.floor(unknown.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}

function expectation(issue: Issue): string {
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${issue.expected === 'int' ? 'an integer' : `a ${issue.expected}`}`;
    case 'too_small':
      return `expected ${issue.origin === 'string' ? 'a non-empty string' : `a value ${issue.inclusive === false ? '>' : '>='} ${issue.minimum}`}`;
    case 'too_big':
      return `expected a value ${issue.inclusive === false ? '<' : '<='} ${issue.maximum}`;
    case 'invalid_value':
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'invalid_union': {
      // `batchSize: 'auto' | number`: say both, with the number's own rule (">= 1", "an integer").
      const branches = (issue.errors ?? []).map((errors) => errors[0]).filter((e): e is Issue => e !== undefined);
      const literal = branches.find((e) => e.code === 'invalid_value');
      const other = branches.find((e) => e !== literal && e.path.length === 0);
      if (literal?.code === 'invalid_value' && other) return `expected ${literal.values.map((v) => JSON.stringify(v)).join(' or ')} or ${expectation(other).replace(/^expected /, '')}`;
      return 'expected false or an object of the documented shape';
    }
    default:
      return issue.message.replace(/^Invalid input: /, '');
  }
}

/**
 * @example
 * formatOptionIssues('mlPredict', issues, ['batchSize'])
 * // → 'mlPredict: invalid options:\n  - "batchSize" (batch.size): expected a value >= 1, got 0'
 */
export function formatOptionIssues(caller: string, issues: readonly Issue[], knownNames: readonly string[] = []): string {
  const lines: string[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      const where = issue.path.length ? ` in "${issue.path.join('.')}"` : '';
      for (const key of issue.keys) {
        const hint = issue.path.length ? undefined : suggestName(key, knownNames);
        lines.push(`unknown option "${key}"${where}${hint ? ` (did you mean "${hint}"?)` : ''}`);
      }
      continue;
    }
    const [head, ...rest] = issue.path.map(String);
    const name = head === undefined ? 'options' : rest.length ? `"${[head, ...rest].join('.')}"` : describeOption(head);
    const got = 'input' in issue && issue.input !== undefined ? `, got ${show(issue.input)}` : '';
    lines.push(`${name}: ${expectation(issue)}${got}`);
  }
  return `${caller}: invalid options:\n${lines.map((l) => `  - ${l}`).join('\n')}`;
}
