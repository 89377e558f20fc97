/**
 * The provider-side shape of a json batch answer, for endpoints that constrain
 * output: JSON mode, or a JSON schema of exactly `count` `{index, value}` items
 * (Flock's minItems = maxItems trick), so the model can't drop or add records.
 */
import type { ResponseShape } from '../../model/model.js';
import type { AnswerShapeInput } from '../response-format.js';

/** The wrapping property of structured answers; the reader finds the array inside. */
export const STRUCTURED_ROOT = 'results';

/**
 * @example
 * jsonAnswerShape('json_schema', { indexField: 'index', valueField: 'sentiment' }, 20)
 * // → { type: 'json_schema', name: 'batch_answers', schema: { … minItems: 20, maxItems: 20 … } }
 */
export function jsonAnswerShape(mode: 'json_object' | 'json_schema', input: AnswerShapeInput, count: number): ResponseShape {
  if (mode === 'json_object') return { type: 'json_object' };
  const { indexField, valueField, valueJsonSchema } = input;
  const item = valueField
    ? {
        type: 'object',
        properties: { [indexField]: { type: 'integer' }, [valueField]: valueJsonSchema ?? {} },
        required: [indexField, valueField],
        additionalProperties: false,
      }
    : { type: 'object', properties: { [indexField]: { type: 'integer' } }, required: [indexField] };
  return {
    type: 'json_schema',
    name: 'batch_answers',
    // Strict mode needs every type spelled out; without a value schema we can't.
    strict: valueJsonSchema !== undefined && valueField !== undefined,
    schema: {
      type: 'object',
      properties: { [STRUCTURED_ROOT]: { type: 'array', minItems: count, maxItems: count, items: item } },
      required: [STRUCTURED_ROOT],
      additionalProperties: false,
    },
  };
}
