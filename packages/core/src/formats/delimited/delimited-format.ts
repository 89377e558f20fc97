/**
 * `responseFormat: 'delimited'`: one `index<delimiter>value` line per record
 * (`3|positive`) — the default prompt, the `delimiter` option, the line reader.
 */
import { z } from 'zod';
import type { ResponseFormat } from '../response-format.js';
import { readDelimitedAnswers } from './read-delimited-answers.js';

export const DEFAULT_DELIMITED_TEMPLATE = `{{instruction}}

{{#records}}
Input {{index}}: {{textJson}}
{{/records}}

Reply with exactly {{count}} lines, one per input, each as: <input number>{{delimiter}}<{{valueField}}>
Write each answer on one line, with no line breaks inside it. Reply with those lines only.`;

export const DEFAULT_DELIMITED_SYSTEM_PROMPT = 'You process many inputs at once and answer each one separately. Reply with one line per input, no prose.';

const delimitedOptions = {
  /** Between index and value; the value is everything after its first occurrence. */
  delimiter: z.string().min(1).default('|'),
};

export const delimitedFormat: ResponseFormat<typeof delimitedOptions> = {
  name: 'delimited',
  indexed: true,
  defaultTemplate: DEFAULT_DELIMITED_TEMPLATE,
  defaultSystemPrompt: DEFAULT_DELIMITED_SYSTEM_PROMPT,
  options: delimitedOptions,
  read: (text, options) => readDelimitedAnswers(text, options),
};
