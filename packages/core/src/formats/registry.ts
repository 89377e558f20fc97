/**
 * The response formats `responseFormat` accepts, by name: the one place a format
 * is registered. Its own options join the operators' options from here.
 */
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
} as const satisfies Record<string, ResponseFormat<any>>;

export type ResponseFormatName = keyof typeof RESPONSE_FORMATS;

export const RESPONSE_FORMAT_NAMES = Object.keys(RESPONSE_FORMATS) as [ResponseFormatName, ...ResponseFormatName[]];

type UnionToIntersection<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void ? I : never;

/** Every format's own options (name → schema), for the options schema. */
export const FORMAT_OPTION_SHAPES = Object.assign({}, ...Object.values(RESPONSE_FORMATS).map((f) => f.options)) as UnionToIntersection<(typeof RESPONSE_FORMATS)[ResponseFormatName]['options']>;
