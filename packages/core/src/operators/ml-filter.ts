/**
 * The `mlFilter` operator: keeps the records a model says meet a condition in
 * plain words, asked many records per request like any `mlPredict` call.
 */
import { filter, from, lastValueFrom, pipe, toArray, type OperatorFunction } from 'rxjs';
import { z } from 'zod';
import type { Model } from '../model/model.js';
import { givenOptions, resolveOptions, type PredictOptions } from '../config/options.js';
import { formatOptionIssues } from '../config/format-issues.js';
import { mlPredict } from './ml-predict.js';
import type { PredictResult } from '../results/result.js';

/** The value field the default prompt asks for. */
export const FILTER_VALUE_FIELD = 'match';

/** Options of {@link mlFilter}: `mlPredict`'s (less `valueSchema`, which it sets), plus these. */
export type FilterOptions = Omit<PredictOptions, 'valueSchema'> & {
  /** The condition, in plain words: `'mentions a refund'`, `'is written in French'`. */
  predicate: string;
  /**
   * Emit every record's result with its boolean, instead of only the matching ones.
   * Error results are emitted either way: a record is never silently kept or dropped.
   * @default false
   */
  emitAll?: boolean | 'true' | 'false';
};

const filterSchema = z.object({
  predicate: z.string().trim().min(1),
  emitAll: z.preprocess((v) => (v === 'true' ? true : v === 'false' ? false : v), z.boolean()).default(false),
});

const VERDICTS: Record<string, boolean> = { true: true, false: false, yes: true, no: false };

/**
 * A verdict as the model may write it: `true`/`false`, or `"yes"`/`"no"`/`"true"`/`"false"`
 * in any case; anything else is no verdict (undefined).
 *
 * @example
 * toVerdict(' Yes ') // → true
 * toVerdict('maybe') // → undefined
 */
export function toVerdict(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  return typeof value === 'string' ? VERDICTS[value.trim().toLowerCase()] : undefined;
}

/** Checked like any `valueSchema`, so an unreadable verdict is a `schema` error result. */
const verdictSchema = z.unknown().transform((value, ctx): boolean => {
  const verdict = toVerdict(value);
  if (verdict !== undefined) return verdict;
  ctx.addIssue({ code: 'custom', message: 'expected true or false (or "yes" / "no")' });
  return z.NEVER;
});

/** The instruction the default template gives, built from the predicate. */
export function filterInstruction(predicate: string): string {
  return `For each input below, decide whether it meets this condition: ${predicate}\nAnswer true if it does and false if it does not.`;
}

/** Splits the filter's own options off and turns the rest into mlPredict's. */
function predictOptionsFor(model: Model, options: FilterOptions, caller: string): { predict: PredictOptions; emitAll: boolean } {
  const { predicate, emitAll, ...rest } = options;
  const parsed = filterSchema.safeParse({ predicate, emitAll }, { reportInput: true });
  if (!parsed.success) throw new TypeError(formatOptionIssues(caller, parsed.error.issues));
  if ((rest as PredictOptions).valueSchema !== undefined) {
    throw new TypeError(`${caller}: invalid options:\n  - "valueSchema": ${caller} sets it (its values are booleans); use mlPredict for other values`);
  }
  const predict: PredictOptions = {
    ...rest,
    vars: { predicate: parsed.data.predicate, ...rest.vars },
    valueSchema: verdictSchema,
  };
  // The default prompt's field and instruction, unless the call (or the model) names its own.
  resolveOptions(predict, model, caller); // validates now, naming this operator
  const given = givenOptions(predict, model);
  if (given.valueField === undefined && given.promptTemplate === undefined) predict.valueField = FILTER_VALUE_FIELD;
  if (given.instruction === undefined) predict.instruction = filterInstruction(parsed.data.predicate);
  return { predict, emitAll: parsed.data.emitAll };
}

/**
 * Keeps the records that meet `predicate`, a condition in plain words. The model
 * answers `true`/`false` for many records per request (by index, repaired like
 * any `mlPredict` batch); the operator emits the results of matching records
 * (`value: true`), and an error result for any record whose verdict stayed
 * missing or unreadable (`"maybe"` is a `schema` error) — never silently kept or
 * dropped. With `emitAll: true` it emits every record's result with its boolean.
 *
 * The predicate is also in the template view as `{{predicate}}`, for your own
 * `promptTemplate`. Other options are `mlPredict`'s.
 *
 * @example
 * import { from } from 'rxjs';
 * import { mlFilter, openAIModel } from '@mlpredict/core';
 *
 * from(['Where is my refund?', 'Love it!', 'I want my money back']).pipe(
 *   mlFilter(openAIModel({ model: 'gpt-4o-mini' }), { predicate: 'asks for a refund' }),
 * ).subscribe((r) => (r.error ? console.error(r.seq, r.error.message) : console.log(r.input)));
 * // → Where is my refund?  I want my money back
 *
 * @param model any {@link Model}
 * @param options `predicate`, `emitAll`, and `mlPredict`'s options
 * @returns an operator from records to the `PredictResult<T, boolean>`s it keeps
 * @see filterAll, mlPredict
 */
export function mlFilter<T>(model: Model, options: FilterOptions): OperatorFunction<T, PredictResult<T, boolean>> {
  const { predict, emitAll } = predictOptionsFor(model, options ?? ({} as FilterOptions), 'mlFilter');
  const predictions = mlPredict<T, boolean>(model, predict);
  return emitAll ? predictions : pipe(predictions, filter((r) => r.error !== undefined || r.value === true));
}

/**
 * Filters an array; resolves with the results `mlFilter` emits, in input order.
 *
 * @example
 * import { filterAll, openAIModel } from '@mlpredict/core';
 * const kept = await filterAll(openAIModel({ model: 'gpt-4o-mini' }), tickets, { predicate: 'is urgent', textField: 'body' });
 * kept.filter((r) => r.value).map((r) => r.input.id);
 */
export function filterAll<T>(model: Model, records: readonly T[], options: FilterOptions): Promise<PredictResult<T, boolean>[]> {
  const operator = mlFilter<T>(model, options);
  return lastValueFrom(from(records).pipe(operator, toArray()));
}
