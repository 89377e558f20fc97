/**
 * Type tests: the value type of every result follows `valueSchema` (a Standard
 * Schema) with no cast, through every public entry that takes it. Compiled by
 * `value-types.test.ts`; a wrong inference is a compile error here.
 */
import { from } from 'rxjs';
import { z } from 'zod';
import { completeAll, createPredictor, filterAll, mlPredict, openAIModel, predictAll, predictIterable, type PredictResult } from '@mlpredict/core';
import { createPredictStream } from '@mlpredict/node';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const expectType = <A, B>(_proof: Equal<A, B>) => undefined;

const model = openAIModel({ model: 'gpt-4o-mini', baseURL: 'http://127.0.0.1:1/v1', apiKey: 'types' });
const sentiment = z.enum(['positive', 'negative']);
type Sentiment = 'positive' | 'negative';

export async function checks(): Promise<void> {
  // predictAll: the enum, or undefined on a failed record.
  const all = await predictAll(model, ['Great'], { valueSchema: sentiment });
  expectType<(typeof all)[number]['value'], Sentiment | undefined>(true);
  const first = all[0]!;
  if (first.ok) expectType<typeof first.value, Sentiment>(true);
  else expectType<typeof first.error.code, import('@mlpredict/core').PredictErrorCode>(true);

  // A transform's output, not its input.
  const lengths = await predictAll(model, ['Great'], { valueSchema: z.string().transform((s) => s.length) });
  expectType<(typeof lengths)[number]['value'], number | undefined>(true);

  // No schema: unknown, and an explicit type argument still works.
  const plain = await predictAll(model, ['Great'], { valueField: 'sentiment' });
  expectType<(typeof plain)[number]['value'], unknown>(true);
  const explicit = await predictAll<string, string>(model, ['Great']);
  expectType<(typeof explicit)[number]['value'], string | undefined>(true);

  // mlPredict, through pipe: the input type from the source, the value from the schema.
  from([{ id: 1, text: 'Great' }])
    .pipe(mlPredict(model, { textField: 'text', valueSchema: sentiment }))
    .subscribe((r: PredictResult<{ id: number; text: string }, Sentiment>) => r);

  // predictIterable.
  for await (const r of predictIterable(model, ['Great'], { valueSchema: sentiment })) expectType<typeof r.value, Sentiment | undefined>(true);

  // createPredictor: values from the schema (keys default to the record's position)…
  const predictor = createPredictor(model, { valueSchema: sentiment });
  predictor.submit('Great');
  for await (const r of predictor) {
    expectType<typeof r.key, number>(true);
    expectType<typeof r.value, Sentiment | undefined>(true);
  }
  // …and with the record and key types given, the options' type goes third (TypeScript infers all or none).
  const keyed = createPredictor<string, string, { valueSchema: typeof sentiment }>(model, { valueSchema: sentiment });
  keyed.submit('Great', 'review-1');
  for await (const r of keyed) {
    expectType<typeof r.key, string>(true);
    expectType<typeof r.value, Sentiment | undefined>(true);
  }

  // The family: filter gives booleans, complete gives strings.
  const kept = await filterAll(model, ['Refund please'], { predicate: 'asks for a refund' });
  expectType<(typeof kept)[number]['value'], boolean | undefined>(true);
  const replies = await completeAll(model, ['Hello'], { instruction: 'Reply.' });
  expectType<(typeof replies)[number]['value'], string | undefined>(true);

  // The Node stream.
  const stream = createPredictStream(model, { valueSchema: sentiment });
  for await (const r of stream.results()) expectType<typeof r.value, Sentiment | undefined>(true);
  expectType<typeof stream, import('@mlpredict/node').PredictStream<unknown, Sentiment>>(true);
}
