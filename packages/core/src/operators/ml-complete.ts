/**
 * The `mlComplete` operator: free text per record (a summary, a reply, a
 * translation), batched when that pays and one plain call per record when not.
 */
import { from, lastValueFrom, toArray, type OperatorFunction } from 'rxjs';
import { z } from 'zod';
import type { Model } from '../model/model.js';
import { givenOptions, resolveOptions, type PredictOptions } from '../config/options.js';
import { mlPredict } from './ml-predict.js';
import type { PredictResult } from '../results/result.js';

/** Options of {@link mlComplete}: `mlPredict`'s, less `responseFormat`, which it picks. */
export type CompleteOptions = Omit<PredictOptions, 'responseFormat' | 'response.format'>;

/** The instruction of a batched completion when the call gives none. */
export const DEFAULT_COMPLETE_INSTRUCTION = 'Respond to each input below.';

/** With `batchSize: 1` and no instruction, the record itself is the whole prompt. */
const RECORD_AS_PROMPT = '{{#records}}{{text}}{{/records}}';

/** Turns mlComplete's options into mlPredict's: the format by batch size, a string value. */
function predictOptionsFor(model: Model, options: CompleteOptions, caller: string): PredictOptions {
  const asGiven = options as PredictOptions;
  if (asGiven.responseFormat !== undefined || asGiven['response.format'] !== undefined) {
    throw new TypeError(`${caller}: invalid options:\n  - "responseFormat" (response.format): ${caller} picks it (text with batchSize 1, else json); leave it out`);
  }
  const single = resolveOptions(options, model, caller).batching.size === 1;
  const given = givenOptions(options, model);
  const predict: PredictOptions = {
    ...options,
    responseFormat: single ? 'text' : 'json',
    valueSchema: (given.valueSchema as PredictOptions['valueSchema']) ?? z.string(),
  };
  if (given.instruction === undefined && given.promptTemplate === undefined) {
    if (single) predict.promptTemplate = RECORD_AS_PROMPT;
    else predict.instruction = DEFAULT_COMPLETE_INSTRUCTION;
  }
  return predict;
}

/**
 * Asks the model for free text per record and emits one {@link PredictResult}
 * per input whose `value` is that text, in input order.
 *
 * With `batchSize > 1` (default 20) many records share one request and the
 * answers come back as JSON strings by index, repaired like any `mlPredict`
 * batch. With `batchSize: 1` each record is one plain call whose whole answer is
 * the value — best for long texts, where one bad answer should cost one record;
 * without an `instruction` the record itself is the prompt. Other options are
 * `mlPredict`'s; `valueSchema` defaults to a string.
 *
 * @example
 * import { from } from 'rxjs';
 * import { mlComplete, openAIModel } from '@mlpredict/core';
 *
 * from(['The battery lasts two days and the screen is sharp, but it is heavy.']).pipe(
 *   mlComplete(openAIModel({ model: 'gpt-4o-mini' }), { instruction: 'Summarize in five words.', batchSize: 1 }),
 * ).subscribe((r) => console.log(r.value ?? r.error));
 *
 * @param model any {@link Model}
 * @param options `mlPredict`'s options, less `responseFormat`
 * @returns an operator from records to `PredictResult<T, string>`s
 * @see completeAll, mlPredict
 */
export function mlComplete<T>(model: Model, options: CompleteOptions = {}): OperatorFunction<T, PredictResult<T, string>> {
  return mlPredict<T, string>(model, predictOptionsFor(model, options, 'mlComplete'));
}

/**
 * Completes every record of an array; resolves with one result per record, in order.
 *
 * @example
 * import { completeAll, openAIModel } from '@mlpredict/core';
 * const replies = await completeAll(openAIModel({ model: 'gpt-4o-mini' }), emails, { instruction: 'Draft a two-line reply.', textField: 'body' });
 */
export function completeAll<T>(model: Model, records: readonly T[], options: CompleteOptions = {}): Promise<PredictResult<T, string>[]> {
  const operator = mlComplete<T>(model, options);
  return lastValueFrom(from(records).pipe(operator, toArray()));
}
