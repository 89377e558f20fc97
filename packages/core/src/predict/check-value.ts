/**
 * Checks a record's value against `valueSchema` (zod), returning the parsed value
 * (coercions and defaults applied) or a message a person can read.
 */
import type { z } from 'zod';

export type CheckedValue = { ok: true; value: unknown } | { ok: false; message: string };

/**
 * @example
 * checkValue('maybe', z.enum(['yes', 'no']))
 * // → { ok: false, message: 'value "maybe" does not match valueSchema: expected one of "yes"|"no"' }
 */
export function checkValue(value: unknown, schema: z.ZodType | undefined): CheckedValue {
  if (!schema) return { ok: true, value };
  const parsed = schema.safeParse(value);
  if (parsed.success) return { ok: true, value: parsed.data };
  const problems = parsed.error.issues.map((issue) => (issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : issue.message));
  const shown = JSON.stringify(value) ?? String(value);
  return { ok: false, message: `value ${shown.length > 80 ? `${shown.slice(0, 77)}...` : shown} does not match valueSchema: ${problems.join('; ').replace(/^Invalid option: /, '')}` };
}
