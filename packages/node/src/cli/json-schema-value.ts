/**
 * `--schema value.json`: a JSON Schema for each record's value, checked by ajv
 * and wrapped so the core takes it as its `valueSchema`: a Standard Schema
 * (`~standard.validate`), with Standard JSON Schema's `~standard.jsonSchema` so
 * structured output can send the schema to the provider.
 */
import { Ajv, type AnySchemaObject, type ErrorObject, type ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { UsageError } from './usage-error.js';

/** One problem with a value, as Standard Schema words it. */
export interface ValueIssue {
  message: string;
  path: Array<string | number>;
}

/** A JSON Schema validator in the shapes the core's `valueSchema` accepts. */
export interface JsonSchemaValue {
  readonly '~standard': {
    readonly version: 1;
    readonly vendor: 'mlpredict-ajv';
    validate(value: unknown): { value: unknown; issues?: undefined } | { issues: ValueIssue[] };
    /** Standard JSON Schema: the schema as given, whatever the target asked for. */
    readonly jsonSchema: { input(options?: unknown): Record<string, unknown>; output(options?: unknown): Record<string, unknown> };
  };
  /** The schema as given. */
  readonly schema: Record<string, unknown>;
}

// ajv-formats is CommonJS with `exports.default`; take whichever shape the loader gives.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv) => Ajv;

/**
 * Compiles `schema` (draft-07, or 2020-12 when its `$schema` says so; `format`s
 * checked). A schema ajv cannot compile is a usage error naming `flag`.
 *
 * @example
 * const value = jsonSchemaValue({ type: 'integer', minimum: 1, maximum: 5 });
 * value['~standard'].validate(7) // → { issues: [{ message: 'must be <= 5', path: [] }] }
 */
export function jsonSchemaValue(schema: unknown, flag = '--schema'): JsonSchemaValue {
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) throw new UsageError(`${flag}: expected a JSON Schema object, got ${JSON.stringify(schema)}`);
  const draft2020 = /2020-12/.test(String((schema as AnySchemaObject).$schema ?? ''));
  const ajv = draft2020 ? new Ajv2020({ allErrors: true, strict: false }) : new Ajv({ allErrors: true, strict: false });
  addFormats(ajv as Ajv);
  let validate: ValidateFunction;
  try {
    validate = ajv.compile(schema as AnySchemaObject);
  } catch (error) {
    throw new UsageError(`${flag}: not a valid JSON Schema: ${(error as Error).message}`);
  }
  const check = (value: unknown): ValueIssue[] | undefined => (validate(value) ? undefined : (validate.errors ?? []).map(issueOf));
  const copy = () => structuredClone(schema) as Record<string, unknown>;
  return {
    '~standard': {
      version: 1,
      vendor: 'mlpredict-ajv',
      validate: (value) => {
        const issues = check(value);
        return issues ? { issues } : { value };
      },
      jsonSchema: { input: copy, output: copy },
    },
    schema: schema as Record<string, unknown>,
  };
}

/** `{ instancePath: '/tags/0', message: 'must be string' }` → `{ path: ['tags', 0], message: 'must be string' }`. */
function issueOf(error: ErrorObject): ValueIssue {
  const path = error.instancePath
    .split('/')
    .slice(1)
    .map((step) => step.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((step) => (/^\d+$/.test(step) ? Number(step) : step));
  const allowed = (error.params as { allowedValues?: unknown[] }).allowedValues;
  const message = allowed ? `${error.message}: ${allowed.map((v) => JSON.stringify(v)).join(', ')}` : (error.message ?? 'does not match the schema');
  return { message, path };
}
