/**
 * The value type a run's results carry, inferred from its `valueSchema` (any
 * Standard Schema): `z.enum(['yes', 'no'])` → `'yes' | 'no'`; no schema → `unknown`.
 */
import type { StandardSchemaV1 } from '@standard-schema/spec';

export type InferValue<O> = O extends { valueSchema: infer S } ? (S extends StandardSchemaV1 ? StandardSchemaV1.InferOutput<S> : unknown) : unknown;
