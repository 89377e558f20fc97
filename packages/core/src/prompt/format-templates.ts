/**
 * The default prompts of the `xml`, `delimited` and `text` response formats. Each
 * uses the same template view as the json one (see render-prompt.ts), and keeps
 * each record's text on one line, so a record can't run into the next.
 */

/**
 * `xml`: records as `<item index="n">…</item>`, answers in the same shape.
 *
 * The record text inside `<item>` is the `xmlText` view field (`&` and `<` escaped)
 * when the view has one, else `textJson` (a JSON string on one line, whose quoting
 * keeps a record from closing its own element). The `{{#xmlText}}` section renders
 * nothing when the field is absent or empty, and the `{{^xmlText}}` one takes over.
 */
export const DEFAULT_XML_TEMPLATE = `{{instruction}}

<inputs>
{{#records}}
<item index="{{index}}">{{#xmlText}}{{xmlText}}{{/xmlText}}{{^xmlText}}{{textJson}}{{/xmlText}}</item>
{{/records}}
</inputs>

Reply with exactly {{count}} elements, one per input, each in this form:
<item {{indexField}}="<input number>"><{{valueField}}>answer</{{valueField}}></item>
Reply with the XML elements only.`;

export const DEFAULT_XML_SYSTEM_PROMPT =
  'You process many inputs at once and answer each one separately. Reply with XML elements only, no prose.';

/** `delimited`: one `index<delimiter>value` line per record. */
export const DEFAULT_DELIMITED_TEMPLATE = `{{instruction}}

{{#records}}
Input {{index}}: {{textJson}}
{{/records}}

Reply with exactly {{count}} lines, one per input, each as: <input number>{{delimiter}}<{{valueField}}>
Write each answer on one line, with no line breaks inside it. Reply with those lines only.`;

export const DEFAULT_DELIMITED_SYSTEM_PROMPT =
  'You process many inputs at once and answer each one separately. Reply with one line per input, no prose.';

/**
 * `text`: one record per request, whose whole answer is the value. The record's
 * text goes in as it is: it is the only thing in the prompt, so nothing can blur.
 */
export const DEFAULT_TEXT_TEMPLATE = `{{instruction}}

{{#records}}{{text}}{{/records}}`;

export const DEFAULT_TEXT_SYSTEM_PROMPT = 'Reply with the answer only: no preamble, no restating the request.';
