/**
 * `responseFormat: 'xml'`: records and answers as `<item index="n">…</item>` —
 * the default prompt, the `xmlText` record field its template shows, and the
 * scanning reader.
 */
import type { ResponseFormat } from '../response-format.js';
import { readXmlAnswers } from './read-xml-answers.js';

/**
 * Each record's text inside `<item>` is `xmlText` (`&`, `<`, `>` escaped) when it
 * is not empty, else `textJson` (a JSON string on one line, whose quoting keeps a
 * record from closing its own element).
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

export const DEFAULT_XML_SYSTEM_PROMPT = 'You process many inputs at once and answer each one separately. Reply with XML elements only, no prose.';

export const xmlFormat: ResponseFormat<{}> = {
  name: 'xml',
  indexed: true,
  defaultTemplate: DEFAULT_XML_TEMPLATE,
  defaultSystemPrompt: DEFAULT_XML_SYSTEM_PROMPT,
  options: {},
  recordView: (text) => ({ xmlText: text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;') }),
  read: (text, options) => readXmlAnswers(text, options),
};
