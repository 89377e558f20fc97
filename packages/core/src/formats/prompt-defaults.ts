/**
 * The one place prompt defaults are worked out: the template, system prompt and
 * instruction a request uses when the user gives none, and the value field the
 * prompt asks for and the reader reads. Rendering, cache keys and `--dry-run`
 * all take these resolved values.
 */
import type { ResponseFormat } from './response-format.js';

/** The value field the default templates ask for when the user names none. */
export const DEFAULT_VALUE_FIELD = 'answer';

export interface PromptChoices {
  promptTemplate?: string;
  systemPrompt?: string;
  instruction?: string;
  valueField?: string;
}

export interface PromptDefaults {
  template: string;
  systemPrompt: string;
  instruction: string;
  /** The `{{valueField}}` the template shows. */
  viewValueField: string;
  /**
   * The field the reader takes values from: the user's, or `answer` with a
   * default template; undefined with a user template and no `valueField` (the
   * whole item, less its index, is the value).
   */
  readValueField: string | undefined;
}

/**
 * @example
 * promptDefaults(jsonFormat, { valueField: 'sentiment' }).instruction // → 'For each input below, give its sentiment.'
 */
export function promptDefaults(format: Pick<ResponseFormat, 'defaultTemplate' | 'defaultSystemPrompt'>, given: PromptChoices): PromptDefaults {
  const readValueField = given.valueField ?? (given.promptTemplate === undefined ? DEFAULT_VALUE_FIELD : undefined);
  const viewValueField = readValueField ?? DEFAULT_VALUE_FIELD;
  return {
    template: given.promptTemplate ?? format.defaultTemplate,
    systemPrompt: given.systemPrompt ?? format.defaultSystemPrompt,
    instruction: given.instruction ?? `For each input below, give its ${viewValueField}.`,
    viewValueField,
    readValueField,
  };
}
