/**
 * The provider-side shape of a batch answer, for endpoints that constrain output:
 * JSON mode, or a JSON schema of exactly `count` `{index, value}` items (Flock's
 * minItems = maxItems trick), so the model can't drop or add records.
 */
import { z } from 'zod';
import type { ResponseShape } from '../../model/model.js';
import type { ResolvedOptions } from '../../config/options.js';
import { effectiveValueField } from '../../prompt/render-prompt.js';

export type StructuredMode = 'off' | 'json_object' | 'json_schema';

/** The wrapping property of structured answers; the parser finds the array inside. */
export const STRUCTURED_ROOT = 'results';

/**
 * @example
 * batchResponseShape('json_schema', resolveOptions({ valueField: 'sentiment' }), 20)
 * // → { type: 'json_schema', name: 'batch_answers', schema: { … minItems: 20, maxItems: 20 … } }
 */
export function batchResponseShape(mode: StructuredMode, options: ResolvedOptions, count: number): ResponseShape | undefined {
  if (mode === 'off' || options.responseFormat !== 'json') return undefined;
  if (mode === 'json_object') return { type: 'json_object' };
  const valueField = effectiveValueField(options);
  const value = options.valueSchema ? valueJsonSchema(options.valueSchema) : undefined;
  const item = valueField
    ? {
        type: 'object',
        properties: { [options.indexField]: { type: 'integer' }, [valueField]: value ?? {} },
        required: [options.indexField, valueField],
        additionalProperties: false,
      }
    : { type: 'object', properties: { [options.indexField]: { type: 'integer' } }, required: [options.indexField] };
  return {
    type: 'json_schema',
    name: 'batch_answers',
    // Strict mode needs every type spelled out; without a value schema we can't.
    strict: value !== undefined && valueField !== undefined,
    schema: {
      type: 'object',
      properties: { [STRUCTURED_ROOT]: { type: 'array', minItems: count, maxItems: count, items: item } },
      required: [STRUCTURED_ROOT],
      additionalProperties: false,
    },
  };
}

function valueJsonSchema(schema: z.ZodType): Record<string, unknown> | undefined {
  try {
    const { $schema: _ignored, ...rest } = z.toJSONSchema(schema) as Record<string, unknown>;
    return rest;
  } catch {
    return undefined; // transforms and the like have no JSON Schema form
  }
}
