/** `responseFormat: 'json'`: the proposal's `[{"index": n, "<field>": …}]`. */
import { DEFAULT_JSON_TEMPLATE, DEFAULT_SYSTEM_PROMPT } from '../../prompt/default-template.js';
import { readJsonAnswers } from './read-json-answers.js';
import type { ResponseFormat } from '../response-format.js';

export const jsonFormat: ResponseFormat = {
  name: 'json',
  defaultTemplate: DEFAULT_JSON_TEMPLATE,
  defaultSystemPrompt: DEFAULT_SYSTEM_PROMPT,
  read: readJsonAnswers,
};
