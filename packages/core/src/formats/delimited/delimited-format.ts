/** `responseFormat: 'delimited'`: one `index<delimiter>value` line per record (`3|positive`). */
import { DEFAULT_DELIMITED_SYSTEM_PROMPT, DEFAULT_DELIMITED_TEMPLATE } from '../../prompt/format-templates.js';
import { readDelimitedAnswers } from './read-delimited-answers.js';
import type { ResponseFormat } from '../response-format.js';

export const delimitedFormat: ResponseFormat = {
  name: 'delimited',
  defaultTemplate: DEFAULT_DELIMITED_TEMPLATE,
  defaultSystemPrompt: DEFAULT_DELIMITED_SYSTEM_PROMPT,
  read: (text, options) => readDelimitedAnswers(text, options),
};
