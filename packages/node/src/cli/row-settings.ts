/**
 * The settings that decide what an output row says — the model, the prompt, how
 * answers are read and checked, the formats — keyed by their flags. `--resume`
 * continues only a run that had the same; the rest (batch size, concurrency,
 * timeouts, retries, the endpoint, the key) may change between runs.
 */
import type { CliSettings } from './cli-settings.js';
import type { InputFormat } from './input-format.js';
import type { OutputFormat } from './output-format.js';

/**
 * @example
 * rowSettings(settings, 'csv', 'csv')
 * // → { '--model': 'gpt-4o-mini', '--format': 'csv', '--output-format': 'csv', '--instruction': 'Classify …', … }
 */
export function rowSettings(settings: CliSettings, format: InputFormat, outputFormat: OutputFormat): Record<string, unknown> {
  const o = settings.userResolved;
  const entries: Record<string, unknown> = {
    '--model': settings.model,
    '--format': format,
    '--output-format': outputFormat,
    '--merge': settings.merge,
    '--field': o.textField,
    '--labels': settings.labels,
    '--schema': settings.schema,
    '--system-prompt': o.systemPrompt,
    '--prompt-template': o.promptTemplate,
    '--instruction': o.instruction,
    '--vars': o.vars,
    '--index-base': o.indexBase,
    '--response-format': o.responseFormat,
    '--delimiter': o.delimiter,
    '--response-path': o.responsePath,
    '--index-field': o.indexField,
    '--value-field': o.valueField,
    '--structured-output': o.structuredOutput,
    '--votes': o.votes,
    '--temperature': o.temperature,
    '--max-tokens': o.maxTokens,
  };
  // JSON has no undefined: leave unset settings out, so a state file reads the same back.
  return Object.fromEntries(Object.entries(entries).filter(([, value]) => value !== undefined));
}
