/**
 * Checks a record's value against `valueSchema` (any Standard Schema), giving
 * the schema's output (coercions and defaults applied) or a message a person can
 * read. Synchronous for synchronous schemas, so the hot path stays without awaits.
 */
import type { StandardSchemaV1 } from '@standard-schema/spec';

export type CheckedValue = { ok: true; value: unknown } | { ok: false; message: string };

/**
 * @example
 * checkValue('maybe', z.enum(['yes', 'no']))
 * // → { ok: false, message: 'value "maybe" does not match valueSchema: expected one of "yes"|"no"' }
 */
export function checkValue(value: unknown, schema: StandardSchemaV1 | undefined): CheckedValue | Promise<CheckedValue> {
  if (!schema) return { ok: true, value };
  let result: StandardSchemaV1.Result<unknown> | Promise<StandardSchemaV1.Result<unknown>>;
  try {
    result = schema['~standard'].validate(value);
  } catch (error) {
    return { ok: false, message: `valueSchema threw on ${shown(value)}: ${error instanceof Error ? error.message : String(error)}` };
  }
  return result instanceof Promise ? result.then((r) => toChecked(value, r), (error: unknown) => toChecked(value, { issues: [{ message: String(error) }] })) : toChecked(value, result);
}

function toChecked(value: unknown, result: StandardSchemaV1.Result<unknown>): CheckedValue {
  if (!result.issues) return { ok: true, value: result.value };
  const problems = result.issues.map((issue) => {
    const path = issue.path?.map((p) => (typeof p === 'object' ? p.key : p)).join('.');
    return path ? `${path}: ${issue.message}` : issue.message;
  });
  return { ok: false, message: `value ${shown(value)} does not match valueSchema: ${problems.join('; ').replace(/^Invalid option: /, '')}` };
}

function shown(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
