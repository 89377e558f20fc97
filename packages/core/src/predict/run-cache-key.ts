/**
 * The key function of one run: its resolved prompt and parse settings fixed,
 * each record's text to a key. Built from the settings as sent (defaults
 * resolved), so a key changes when what is sent changes, not when the same thing
 * is spelled differently. `valueSchema` is not part of it: the cache keeps the
 * model's raw answer and every hit is checked against the run's schema again.
 */
import { cacheKey, type CacheKeyParts } from '../cache/cache-key.js';
import type { ParseSettings, RepairSettings } from '../config/run-settings.js';
import type { PromptSettings } from '../prompt/prompt-settings.js';
import { templateReadsInput } from '../prompt/check-template.js';

/**
 * @example
 * const keyOf = runCacheKey(model.name, resolved);
 * const key = keyOf(item.text, item.input);
 *
 * Throws (a `TypeError`) for an input the template reads that can't be keyed (a circular one).
 */
export function runCacheKey(modelName: string, settings: { prompt: PromptSettings; parse: ParseSettings; repair: RepairSettings }): (text: string, input?: unknown) => string {
  const { prompt, parse, repair } = settings;
  const { indexField, valueField, truncated: _truncated, ...formatOptions } = parse.read;
  const fixed: Omit<CacheKeyParts, 'text'> = {
    systemPrompt: prompt.systemPrompt,
    template: prompt.template,
    vars: prompt.shared as Record<string, unknown>,
    indexField,
    valueField,
    format: parse.format.name,
    extra: {
      formatOptions,
      indexBase: parse.indexBase,
      temperature: parse.temperature,
      maxTokens: parse.maxTokens,
      structuredOutput: parse.structuredOutput,
      answerSchema: parse.structuredOutput === 'off' ? undefined : parse.valueJsonSchema,
      votes: repair.votes,
    },
  };
  if (!templateReadsInput(prompt.template)) return (text) => cacheKey(modelName, { ...fixed, text });
  return (text, input) => cacheKey(modelName, { ...fixed, text, input });
}
