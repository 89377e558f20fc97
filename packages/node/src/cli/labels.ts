/**
 * `--labels positive,negative,neutral`: a classifier in one flag. The labels
 * become the instruction (or are added to the user's), a `{{labels}}` template
 * variable, an enum the value must be (anything else is a `schema` error), and
 * provider-side structured output unless the user chose a mode.
 */
import { z } from 'zod';
import type { PredictOptions } from '@mlpredict/core';
import type { ParsedOptions } from '@mlpredict/core/internals';
import { UsageError } from './usage-error.js';

/**
 * Splits and checks `--labels`: at least two, none empty, none repeated.
 *
 * @example
 * parseLabels(' positive, negative ,neutral') // → ['positive', 'negative', 'neutral']
 * parseLabels('spam')                         // throws UsageError: --labels needs at least two labels …
 */
export function parseLabels(raw: string): string[] {
  const labels = raw.split(',').map((label) => label.trim());
  if (labels.some((label) => label === '')) throw new UsageError(`--labels: an empty label in "${raw}" (give them comma-separated, e.g. positive,negative,neutral)`);
  const repeated = labels.find((label, i) => labels.indexOf(label) !== i);
  if (repeated !== undefined) throw new UsageError(`--labels: "${repeated}" is given twice`);
  if (labels.length < 2) throw new UsageError(`--labels needs at least two labels, comma-separated (got "${raw}")`);
  return labels;
}

/**
 * The options `labels` add to what the user gave (`resolved`: the user's own
 * options, validated). `structuredOutputChosen`: the user set `structuredOutput`.
 *
 * @example
 * labelOptions(['yes', 'no'], parseOptions({}), false)
 * // → { instruction: 'Classify each input as exactly one of: "yes", "no".', valueSchema: z.enum(['yes', 'no']), vars: { labels: 'yes, no' }, structuredOutput: 'auto' }
 */
export function labelOptions(labels: readonly string[], resolved: ParsedOptions, structuredOutputChosen: boolean): Partial<PredictOptions> {
  const quoted = labels.map((label) => JSON.stringify(label)).join(', ');
  const instruction = resolved.instruction === undefined ? `Classify each input as exactly one of: ${quoted}.` : `${resolved.instruction.trimEnd()} Answer with exactly one of: ${quoted}.`;
  return {
    instruction,
    valueSchema: z.enum(labels as [string, ...string[]]),
    // A template of the user's own can say {{labels}}; a `labels` var they set wins.
    vars: { labels: labels.join(', '), ...resolved.vars },
    ...(!structuredOutputChosen && { structuredOutput: 'auto' as const }),
  };
}
