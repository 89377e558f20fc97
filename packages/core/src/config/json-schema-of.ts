/**
 * A value schema's JSON Schema, for provider-side structured output: through
 * the Standard JSON Schema interface (zod 4.2+, arktype, …) when the schema has
 * it. Schemas without one (or with transforms, which have no JSON form) give
 * undefined, and the provider is then asked for the batch's shape without it.
 */
import type { StandardSchemaV1 } from '@standard-schema/spec';

interface JsonSchemaConverter {
  output(options: { target: string }): Record<string, unknown>;
}

/**
 * @example
 * jsonSchemaOf(z.enum(['yes', 'no'])) // → { type: 'string', enum: ['yes', 'no'] }
 */
export function jsonSchemaOf(schema: StandardSchemaV1): Record<string, unknown> | undefined {
  const converter = (schema['~standard'] as { jsonSchema?: JsonSchemaConverter }).jsonSchema;
  if (typeof converter?.output !== 'function') return undefined;
  try {
    const { $schema: _ignored, ...rest } = converter.output({ target: 'draft-2020-12' });
    return rest;
  } catch {
    return undefined;
  }
}
