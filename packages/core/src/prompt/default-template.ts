/**
 * The prompt a user gets without writing one: the proposal's indexed layout, each
 * record's text as a JSON string so quotes and newlines can't blur where one record
 * ends and the next begins.
 */

export const DEFAULT_SYSTEM_PROMPT =
  'You process many inputs at once and answer each one separately. Reply with valid JSON only, no prose.';

/** The value field the default template asks for when the user names none. */
export const DEFAULT_VALUE_FIELD = 'answer';

export const DEFAULT_JSON_TEMPLATE = `{{instruction}}

{{#records}}
Input {{index}}: {{textJson}}
{{/records}}

Return a JSON array with exactly {{count}} objects, one per input: [{"{{indexField}}": <input number>, "{{valueField}}": <answer>}, ...]
Reply with the JSON array only.`;

/** `For each input below, give its sentiment.` */
export function defaultInstruction(valueField: string): string {
  return `For each input below, give its ${valueField}.`;
}
