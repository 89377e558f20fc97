/** The response formats `responseFormat` accepts, by name. */
import { jsonFormat } from './json-format.js';
import type { ResponseFormat } from './response-format.js';

export const RESPONSE_FORMATS = {
  json: jsonFormat,
} as const satisfies Record<string, ResponseFormat>;

export type ResponseFormatName = keyof typeof RESPONSE_FORMATS;

export const RESPONSE_FORMAT_NAMES = Object.keys(RESPONSE_FORMATS) as [ResponseFormatName, ...ResponseFormatName[]];
