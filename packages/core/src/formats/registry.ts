/** The response formats `responseFormat` accepts, by name. */
import { delimitedFormat } from './delimited/delimited-format.js';
import { jsonFormat } from './json/json-format.js';
import type { ResponseFormat } from './response-format.js';
import { textFormat } from './text/text-format.js';
import { xmlFormat } from './xml/xml-format.js';

export const RESPONSE_FORMATS = {
  json: jsonFormat,
  xml: xmlFormat,
  delimited: delimitedFormat,
  text: textFormat,
} as const satisfies Record<string, ResponseFormat>;

export type ResponseFormatName = keyof typeof RESPONSE_FORMATS;

export const RESPONSE_FORMAT_NAMES = Object.keys(RESPONSE_FORMATS) as [ResponseFormatName, ...ResponseFormatName[]];
