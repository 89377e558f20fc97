/**
 * The `mlEmbed` operator: Flink's ML_PREDICT over an embedding model, batched the
 * way the provider wants it (many inputs per request, split at its input limit).
 */
import { Observable, from, lastValueFrom, toArray, type OperatorFunction } from 'rxjs';
import { z } from 'zod';
import type { EmbeddingResponse, Model } from '../model/model.js';
import type { ModelCallError } from '../model/errors.js';
import { optionsSchema } from '../config/options.js';
import { normalizeKeys } from '../config/option-keys.js';
import { formatOptionIssues } from '../config/format-issues.js';
import { batchRecords } from '../batching/batch-records.js';
import { estimateTokens } from '../batching/estimate-tokens.js';
import { recordText } from '../prompt/record-text.js';
import { callWithPolicy, type CallPolicy } from '../resilience/call-model.js';
import { callPolicyFor } from '../resilience/call-policy.js';
import type { PredictErrorCode, PredictResult } from './result.js';
import { toResult, type Settlement, type WorkItem } from './work-item.js';

const numeric = (schema: z.ZodNumber) =>
  z.preprocess((v) => (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v)) ? Number(v) : v), schema);

const shared = optionsSchema.shape;

/** What `mlEmbed` accepts; the shared ones mean what they mean for `mlPredict`. */
const embedOptionsSchema = z.strictObject({
  /** Inputs gathered per batch; a batch is sent in requests of at most `maxInputsPerRequest`. */
  batchSize: numeric(z.number().int().min(1).max(100_000)).default(100),
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
  const resolved = resolveEmbedOptions(options, model, 'mlEmbed');
  return (source) =>
    new Observable<PredictResult<T, number[]>>((subscriber) => {
      const run = new EmbedRun<T>(model, resolved, {
        next: (result) => subscriber.next(result),
        error: (error) => subscriber.error(error),
        complete: () => subscriber.complete(),
      });
      const admitted = new Observable<WorkItem<T>>((inner) =>
        source.subscribe({
          next: (input) => {
            const item = run.admit(input);
            if (item) inner.next(item);
          },
          error: (error) => inner.error(error),
          complete: () => inner.complete(),
        }),
      );
      const subscription = admitted.pipe(batchRecords({ size: resolved.batchSize, timeoutMs: resolved.batchTimeoutMs })).subscribe({
        next: (batch) => run.enqueue(batch),
        error: (error) => run.fail(error),
        complete: () => run.sourceComplete(),
      });
      return () => {
        subscription.unsubscribe();
        run.dispose();
      };
    });
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

interface RunObserver<T> {
  next(result: PredictResult<T, number[]>): void;
  error(error: unknown): void;
  complete(): void;
}

/** One subscription's work: requests of at most `maxInputsPerRequest`, `concurrency` at once, results in order. */
class EmbedRun<T> {
  readonly #model: Model & Required<Pick<Model, 'embed'>>;
  readonly #options: ResolvedEmbedOptions;
  readonly #observer: RunObserver<T>;
  readonly #policy: CallPolicy;
  readonly #abort = new AbortController();
  readonly #queue: WorkItem<T>[][] = [];
  readonly #ready = new Map<number, PredictResult<T, number[]>>();
  #running = 0;
  #nextBatchId = 0;
  #admitted = 0;
  #nextToEmit = 0;
  #sourceDone = false;
  #closed = false;

  constructor(model: Model, options: ResolvedEmbedOptions, observer: RunObserver<T>) {
    this.#model = model as Model & Required<Pick<Model, 'embed'>>;
    this.#options = options;
    this.#observer = observer;
    this.#policy = callPolicyFor(model, { ...options, requestsPerMinute: undefined, tokensPerMinute: undefined, adaptiveConcurrency: false });
    if (options.signal) {
      if (options.signal.aborted) this.#abort.abort(options.signal.reason);
      else options.signal.addEventListener('abort', this.#onUserAbort, { once: true });
    }
  }

  admit(input: T): WorkItem<T> | undefined {
    const seq = this.#admitted++;
    const item: WorkItem<T> = { seq, input, text: '', tokens: 0, batchId: -1, attempts: 0, repairs: 0, retriedAlone: false, startedAt: Date.now(), done: false, failed: false };
    try {
      item.text = recordText(input, this.#options);
      // Providers refuse an empty input with a 400 that would fail the whole request.
      if (item.text.trim() === '') throw new TypeError('empty text cannot be embedded');
    } catch (error) {
      this.#settle(item, { error: { code: 'bad_input', message: error instanceof Error ? error.message : String(error) }, via: 'single' });
      return undefined;
    }
    item.tokens = estimateTokens(item.text);
    return item;
  }

  enqueue(batch: WorkItem<T>[]): void {
    if (this.#closed || batch.length === 0) return;
    const batchId = this.#nextBatchId++;
    for (const item of batch) item.batchId = batchId;
    const limit = this.#options.maxInputsPerRequest ?? batch.length;
    for (let i = 0; i < batch.length; i += limit) this.#queue.push(batch.slice(i, i + limit));
    this.#pump();
  }

  sourceComplete(): void {
    this.#sourceDone = true;
    this.#maybeComplete();
  }

  fail(error: unknown): void {
    if (this.#closed) return;
    this.dispose();
    this.#observer.error(error);
  }

  dispose(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#options.signal?.removeEventListener('abort', this.#onUserAbort);
    this.#queue.length = 0;
    this.#ready.clear();
    if (!this.#abort.signal.aborted) this.#abort.abort(new Error('unsubscribed'));
  }

  readonly #onUserAbort = () => {
    this.#abort.abort(this.#options.signal!.reason);
    for (const chunk of this.#queue.splice(0)) this.#settleAll(chunk, 'aborted', 'the run was cancelled before this record was sent');
  };

  #pump(): void {
    while (!this.#closed && this.#running < this.#options.concurrency && this.#queue.length > 0) void this.#runRequest(this.#queue.shift()!);
  }

  async #runRequest(items: WorkItem<T>[]): Promise<void> {
    this.#running++;
    const started = Date.now();
    for (const item of items) item.startedAt = started;
    try {
      await this.#send(items);
    } catch (error) {
      // #send settles everything and never throws; a throw is a bug or a user callback's error.
      return this.fail(error);
    } finally {
      this.#running--;
    }
    this.#pump();
    this.#maybeComplete();
  }

  async #send(items: WorkItem<T>[]): Promise<void> {
    const signal = this.#abort.signal;
    if (signal.aborted) return this.#settleAll(items, 'aborted', 'the run was cancelled before this record was answered');
    const inputs = items.map((i) => i.text);
    const outcome = await callWithPolicy((attemptSignal) => this.#model.embed({ inputs, signal: attemptSignal }), this.#policy, {
      batchId: items[0]!.batchId,
      records: items.length,
      tokens: items.reduce((sum, i) => sum + i.tokens, 0),
      signal,
    });
    for (const item of items) item.attempts += outcome.attempts;
    if (!outcome.ok) return this.#onFailed(items, outcome.error);
    this.#onAnswered(items, outcome.response);
  }

  #onAnswered(items: WorkItem<T>[], response: EmbeddingResponse): void {
    const via = items.length === 1 ? 'single' : 'batch';
    const vectors = response.embeddings;
    if (!Array.isArray(vectors) || vectors.length !== items.length) {
      const got = Array.isArray(vectors) ? vectors.length : 'no';
      return this.#settleAll(items, 'parse', `the model returned ${got} vectors for ${items.length} inputs, so none can be matched to its input`);
    }
    const usage = response.usage && { promptTokens: response.usage.promptTokens / items.length, completionTokens: response.usage.completionTokens / items.length };
    items.forEach((item, i) => {
      const vector = vectors[i];
      if (!Array.isArray(vector) || vector.length === 0 || !vector.every((x) => typeof x === 'number' && Number.isFinite(x))) {
        return this.#settle(item, { error: { code: 'parse', message: 'the model returned no usable vector (expected a non-empty array of finite numbers)' }, via });
      }
      this.#settle(item, { value: vector, via, ...(usage && { usage }) });
    });
  }

  async #onFailed(items: WorkItem<T>[], error: ModelCallError): Promise<void> {
    if (error.kind === 'context_length' && items.length > 1) {
      // One input too long fails the whole request: halve until it stands alone.
      for (const item of items) item.repairs++;
      const middle = Math.ceil(items.length / 2);
      await this.#send(items.slice(0, middle));
      await this.#send(items.slice(middle));
      return;
    }
    if (error.kind === 'context_length') return this.#settleAll(items, 'too_large', `the record alone is too long for the model: ${error.message}`);
    if (error.kind === 'aborted') return this.#settleAll(items, 'aborted', 'the run was cancelled before this record was answered');
    const code: PredictErrorCode = error.kind === 'rate_limited' ? 'rate_limited' : error.kind === 'timeout' ? 'timeout' : 'http';
    const status = error.status === undefined ? '' : `HTTP ${error.status}: `;
    const via = items.length === 1 ? 'single' : 'batch';
    for (const item of items) {
      this.#settle(item, { error: { code, message: `${status}${error.message}`, ...(error.status !== undefined && { status: error.status }) }, via });
    }
  }

  #settleAll(items: WorkItem<T>[], code: PredictErrorCode, message: string): void {
    const via = items.length === 1 ? 'single' : 'batch';
    for (const item of items) this.#settle(item, { error: { code, message }, via });
  }

  #settle(item: WorkItem<T>, settlement: Settlement): void {
    if (this.#closed || item.done) return;
    item.done = true;
    const result = toResult(item, settlement, Date.now()) as PredictResult<T, number[]>;
    item.failed = result.error !== undefined;
    this.#ready.set(item.seq, result);
    while (!this.#closed && this.#ready.has(this.#nextToEmit)) {
      const next = this.#ready.get(this.#nextToEmit)!;
      this.#ready.delete(this.#nextToEmit++);
      this.#observer.next(next);
    }
    this.#maybeComplete();
  }

  #maybeComplete(): void {
    if (this.#closed || !this.#sourceDone || this.#running > 0 || this.#queue.length > 0 || this.#nextToEmit < this.#admitted) return;
    this.dispose();
    this.#observer.complete();
  }
}
