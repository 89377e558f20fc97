/**
 * `responseFormat: 'json'`: the proposal's `[{"index": n, "<field>": …}]` — the
 * default prompt, the `responsePath` option, the lenient reader, and the
 * provider-side shape for structured output.
 */
import { z } from 'zod';
import type { ResponseFormat } from '../response-format.js';
import { jsonAnswerShape } from './json-answer-shape.js';
import { readJsonAnswers } from './read-json-answers.js';

export const DEFAULT_SYSTEM_PROMPT = 'You process many inputs at once and answer each one separately. Reply with valid JSON only, no prose.';

/**
 * The proposal's indexed layout, each record's text as a JSON string so quotes
 * and newlines can't blur where one record ends and the next begins.
 */
export const DEFAULT_JSON_TEMPLATE = `{{instruction}}

{{#records}}
Input {{index}}: {{textJson}}
{{/records}}

Return a JSON array with exactly {{count}} objects, one per input: [{"{{indexField}}": <input number>, "{{valueField}}": <answer>}, ...]
Reply with the JSON array only.`;

const jsonOptions = {
  /** JSONPath to the answer items. */
  responsePath: z.string().min(1).default('$[*]'),
};

export const jsonFormat: ResponseFormat<typeof jsonOptions> = {
  name: 'json',
  indexed: true,
  defaultTemplate: DEFAULT_JSON_TEMPLATE,
  defaultSystemPrompt: DEFAULT_SYSTEM_PROMPT,
  options: jsonOptions,
  read: readJsonAnswers,
  answerShape: jsonAnswerShape,
};
