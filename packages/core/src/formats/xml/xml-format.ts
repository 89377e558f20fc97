/** `responseFormat: 'xml'`: records and answers as `<item index="n">…</item>`. */
import { DEFAULT_XML_SYSTEM_PROMPT, DEFAULT_XML_TEMPLATE } from '../../prompt/format-templates.js';
import { readXmlAnswers } from './read-xml-answers.js';
import type { ResponseFormat } from '../response-format.js';

export const xmlFormat: ResponseFormat = {
  name: 'xml',
  defaultTemplate: DEFAULT_XML_TEMPLATE,
  defaultSystemPrompt: DEFAULT_XML_SYSTEM_PROMPT,
  read: (text, options) => readXmlAnswers(text, options),
};
