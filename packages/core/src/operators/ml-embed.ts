/**
 * The `mlEmbed` operator: Flink's ML_PREDICT over an embedding model, batched the
 * way the provider wants it (many inputs per request, split at its input limit).
 */
import { from, lastValueFrom, toArray, type OperatorFunction } from 'rxjs';
import { z } from 'zod';
import type { Model } from '../model/model.js';
import { optionsSchema, resolveOptions } from '../config/options.js';
import { normalizeKeys } from '../config/option-keys.js';
import { formatOptionIssues } from '../config/format-issues.js';
import { predictOperator } from './ml-predict.js';
import { embeddingResolver } from '../predict/resolve-embeddings.js';
import type { PredictResult } from '../results/result.js';

const numeric = (schema: z.ZodNumber) =>
  z.preprocess((v) => (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v)) ? Number(v) : v), schema);

const shared = optionsSchema.shape;

/** What `mlEmbed` accepts; the shared ones mean what they mean for `mlPredict`. */
const embedOptionsSchema = z.strictObject({
  /** Inputs gathered per batch; a batch is sent in requests of at most `maxInputsPerRequest`. */
  batchSize: numeric(z.number().int().min(1).max(10_000)).default(100),
  batchTimeoutMs: shared.batchTimeoutMs,
  concurrency: shared.concurrency,
  textField: shared.textField,
  toText: shared.toText,
  maxRetries: shared.maxRetries,
  retry: shared.retry,
  requestTimeoutMs: shared.requestTimeoutMs,
  /** The provider's limit on inputs per request (OpenAI: 2048); below `batchSize`, a batch is split. */
  maxInputsPerRequest: numeric(z.number().int().min(1)).optional(),
  onRequest: shared.onRequest,
  onRetry: shared.onRetry,
  onRateLimit: shared.onRateLimit,
  signal: shared.signal,
});

const EMBED_DOTTED = ['batch.size', 'batch.timeout.ms', 'max.retries', 'request.timeout.ms'] as const;

/**
 * Options of {@link mlEmbed}. The model's `defaults` apply under them, for the
 * options listed here (other defaults, such as a prompt, are for chat calls).
 */
export type EmbedOptions = z.input<typeof embedOptionsSchema> & { [K in (typeof EMBED_DOTTED)[number]]?: string | number };

type ResolvedEmbedOptions = z.output<typeof embedOptionsSchema>;

/** Validates at construction, naming each bad option; keeps only the model defaults mlEmbed knows. */
function resolveEmbedOptions(options: EmbedOptions, model: Model, caller: string): ResolvedEmbedOptions {
  const known = new Set(Object.keys(embedOptionsSchema.shape));
  const fromModel = Object.fromEntries(Object.entries(normalizeKeys({ ...model.defaults })).filter(([k]) => known.has(k)));
  const merged: Record<string, unknown> = { ...fromModel, ...normalizeKeys(options as Record<string, unknown>) };
  for (const key of Object.keys(merged)) if (merged[key] === undefined) delete merged[key];
  const parsed = embedOptionsSchema.safeParse(merged, { reportInput: true });
  if (!parsed.success) throw new TypeError(formatOptionIssues(caller, parsed.error.issues, [...known, ...EMBED_DOTTED]));
  return parsed.data;
}

/**
 * Embeds every record of a stream, many per request, and emits exactly one
 * {@link PredictResult} per input whose `value` is its vector, in input order.
 *
 * Use it to index or compare records with an embedding model: it gathers up to
 * `batchSize` records (default 100), sends them in requests of at most
 * `maxInputsPerRequest`, keeps `concurrency` requests in flight, and retries 429s,
 * 5xx and timeouts like `mlPredict`. A failed request gives each of its records an
 * error result (`http`, `rate_limited`, `timeout`, `aborted`); a request too long
 * for the model is split in halves down to the record that doesn't fit
 * (`too_large`). The model must have `embed`; options are checked here, at
 * construction. Unsubscribing aborts every request in flight.
 *
 * @example
 * import { from } from 'rxjs';
 * import { mlEmbed, openAIModel } from '@mlpredict/core';
 *
 * const model = openAIModel({ model: 'gpt-4o-mini', embeddingModel: 'text-embedding-3-small' });
 * from([{ id: 1, body: 'Great phone' }, { id: 2, body: 'Broke in a week' }]).pipe(
 *   mlEmbed(model, { textField: 'body', batchSize: 500, maxInputsPerRequest: 2048 }),
 * ).subscribe((r) => console.log(r.input.id, r.value?.length ?? r.error));
 *
 * @param model a {@link Model} with `embed`
 * @param options batching, text and retry options (see {@link EmbedOptions})
 * @returns an operator from records to `PredictResult<T, number[]>`s
 * @see embedAll, mlPredict
 */
export function mlEmbed<T>(model: Model, options: EmbedOptions = {}): OperatorFunction<T, PredictResult<T, number[]>> {
  if (typeof model?.embed !== 'function') {
    throw new TypeError(`mlEmbed: model "${model?.name}" has no embed method; give a model that supports embeddings (e.g. openAIModel with embeddingModel)`);
  }
  const embedder = model as Model & Required<Pick<Model, 'embed'>>;
  const { maxInputsPerRequest, ...rest } = resolveEmbedOptions(options, model, 'mlEmbed');
  // A batch never outgrows the provider's input limit, so each batch is one request.
  const batchSize = Math.min(rest.batchSize, maxInputsPerRequest ?? Infinity);
  const resolved = resolveOptions({ ...rest, batchSize }, undefined, 'mlEmbed');
  // No price: the model's name prices its chat model, not its embedding model, and a wrong cost is worse than none.
  return predictOperator<T, number[]>(model, resolved, { resolver: (policy) => embeddingResolver(embedder, policy), checkText, cost: {} });
}

/** Providers refuse an empty input with a 400 that would fail the whole request. */
function checkText(text: string): void {
  if (text.trim() === '') throw new TypeError('empty text cannot be embedded');
}

/**
 * Embeds every record of an array; resolves with one result per record, in order.
 * It rejects only for a bad option or a model without `embed`.
 *
 * @example
 * import { embedAll, openAIModel } from '@mlpredict/core';
 * const results = await embedAll(openAIModel({ model: 'text-embedding-3-small' }), ['Great phone', 'Awful']);
 * results.map((r) => r.value?.length); // → [1536, 1536]
 */
export function embedAll<T>(model: Model, records: readonly T[], options: EmbedOptions = {}): Promise<PredictResult<T, number[]>[]> {
  const operator = mlEmbed<T>(model, options);
  return lastValueFrom(from(records).pipe(operator, toArray()));
}
