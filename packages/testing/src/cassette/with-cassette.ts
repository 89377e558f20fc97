/**
 * Record and replay of a real model's answers, so a pipeline test can run against
 * what a real provider once said, offline, fast and the same every time.
 */
import {
  ModelCallError,
  type CompletionRequest,
  type CompletionResponse,
  type EmbeddingRequest,
  type EmbeddingResponse,
  type Model,
  type TokenUsage,
} from '@mlpredict/core';
import { throwIfAborted } from '../fakes/fake-latency.js';
import { apportion, itemsByRecord, sumUsage, writeItems } from './answer-items.js';
import { emptyCassette, readCassetteFile, stableJson, writeFileAtomic, type CassetteData, type RecordedContext } from './cassette-file.js';
import { readCassetteRequest, type CassetteRequest } from './request-key.js';

export const CASSETTE_MODES = ['record', 'replay', 'auto'] as const;

/**
 * - `record`: every call goes to the model; the cassette starts empty and is
 *   rewritten with what the model answered.
 * - `replay`: every answer comes from the cassette, no call reaches the model; an
 *   unrecorded request fails with a {@link CassetteMissError}.
 * - `auto`: replays what the cassette holds, asks the model for the rest and adds it.
 */
export type CassetteMode = (typeof CASSETTE_MODES)[number];

/** Overrides `mode` when set: `MLPREDICT_CASSETTE=record pnpm test` re-records every cassette. */
export const CASSETTE_ENV = 'MLPREDICT_CASSETTE';

export interface CassetteOptions {
  /** The cassette's JSON file; its folder is created when first written. */
  path: string;
  /**
   * What to do with the model; `MLPREDICT_CASSETTE` overrides it.
   * @default 'replay' — a test never reaches the network unless asked to
   */
  mode?: CassetteMode;
}

/** What a cassette did so far. */
export interface CassetteStats {
  /** Answers served from the cassette: batch records, whole prompts and embedded texts. */
  replayed: number;
  /** Answers added to the cassette. */
  recorded: number;
  /** Calls that reached the wrapped model. */
  modelCalls: number;
}

/** A model that records to, or replays from, a cassette file. */
export interface CassetteModel extends Model {
  /** The mode in force (after `MLPREDICT_CASSETTE`). */
  readonly mode: CassetteMode;
  readonly path: string;
  readonly stats: Readonly<CassetteStats>;
  /**
   * Resolves once the file holds everything recorded so far (writing it now if
   * needed; a no-op in `replay` mode). Rejects with the error of a failed write.
   */
  save(): Promise<void>;
}

/**
 * A request the cassette has no answer for, in `replay` mode. Not retryable; the
 * records it names get it as their error (code `http`).
 */
export class CassetteMissError extends ModelCallError {
  /** The texts with no recorded answer (records, embedded texts, or the user message of a whole request). */
  readonly missing: string[];
  readonly path: string;

  constructor(message: string, path: string, missing: string[]) {
    super(message, { kind: 'http' });
    this.path = path;
    this.missing = missing;
  }
}

/**
 * Wraps any {@link Model} so its answers are recorded to a JSON file and replayed
 * from it.
 *
 * Use it for tests that should run on real answers without a network or an API
 * key: record once against the real provider (`mode: 'record'`, or
 * `MLPREDICT_CASSETTE=record`), commit the file, replay in CI.
 *
 * Batch prompts (`Input n: …` lines with a JSON answer) are recorded per record
 * and prompt context, not per request: each record's item of the answer is kept
 * under the request's instructions (system message, user message without its
 * records, numbers as `#`) and its own text. A replay answers whatever batches it
 * forms — other `batchSize`, `batchTimeoutMs`, `concurrency` or timing — with a
 * JSON array of the recorded items under the new indices (`finish_reason` stop,
 * usage from the recorded shares). Other requests (a plain prompt, XML or
 * delimited templates) are replayed only when their messages are exactly the
 * same; embeddings are recorded per text. Only answers are stored: never the
 * request's headers or the client's API key. A failed call is not recorded; its
 * error passes through.
 *
 * Saving: after each call that recorded something, the file is rewritten in the
 * background (one write at a time, temp file + rename); `await model.save()`
 * waits until it holds everything (do it before the process ends, e.g. in
 * `afterAll`).
 *
 * @example
 * import { predictAll, openAIModel } from '@mlpredict/core';
 * import { withCassette } from '@mlpredict/testing';
 *
 * const model = withCassette(openAIModel({ model: 'gpt-4o-mini' }), { path: 'test/cassettes/sentiment.json', mode: 'auto' });
 * const results = await predictAll(model, ['Great phone', 'Broke in a day'], { valueField: 'sentiment' });
 * await model.save();
 *
 * @param model the model to record; in `replay` mode it is never called
 * @param options the file and the mode
 * @returns a model with the same name and defaults, plus `save()`, `mode` and `stats`
 */
export function withCassette(model: Model, options: CassetteOptions): CassetteModel {
  if (typeof options?.path !== 'string' || options.path.trim() === '') throw new TypeError('withCassette: `path` must name the cassette file (a non-empty string)');
  const mode = resolveMode(options.mode);
  const deck = new CassetteDeck(model, options.path, mode);
  const live = mode !== 'replay';
  const wrapper: CassetteModel = {
    name: model.name,
    defaults: model.defaults,
    // Replay has no provider to protect, so it runs unthrottled; otherwise the quota is the wrapped model's.
    ...(live && { limits: model.limits, ...(model.runtime && { runtime: model.runtime }) }),
    mode,
    path: options.path,
    get stats() {
      return { ...deck.stats };
    },
    complete: (request) => deck.complete(request),
    ...(model.embed && { embed: (request: EmbeddingRequest) => deck.embed(request) }),
    save: () => deck.save(),
  };
  return wrapper;
}

function resolveMode(given: CassetteMode | undefined): CassetteMode {
  const fromEnv = process.env[CASSETTE_ENV]?.trim();
  const isMode = (value: unknown): value is CassetteMode => (CASSETTE_MODES as readonly unknown[]).includes(value);
  if (fromEnv) {
    if (!isMode(fromEnv)) throw new TypeError(`withCassette: ${CASSETTE_ENV}=${JSON.stringify(fromEnv)} is not a mode; expected 'record', 'replay' or 'auto'`);
    return fromEnv;
  }
  if (given === undefined) return 'replay';
  if (!isMode(given)) throw new TypeError(`withCassette: mode ${JSON.stringify(given)} is not a mode; expected 'record', 'replay' or 'auto'`);
  return given;
}

const HOW_TO_RECORD = `To record it, use mode: 'auto' (records only what is missing) or mode: 'record' (records everything again), or run with ${CASSETTE_ENV}=auto (or ${CASSETTE_ENV}=record).`;

class CassetteDeck {
  readonly stats: CassetteStats = { replayed: 0, recorded: 0, modelCalls: 0 };
  readonly #model: Model;
  readonly #path: string;
  readonly #mode: CassetteMode;
  #data: CassetteData | undefined;
  #dirty = false;
  #writing: Promise<void> | undefined;
  #writeError: unknown;

  constructor(model: Model, path: string, mode: CassetteMode) {
    this.#model = model;
    this.#path = path;
    this.#mode = mode;
  }

  async complete(request: CompletionRequest): Promise<CompletionResponse> {
    throwIfAborted(request.signal);
    const data = this.#cassette();
    const read = readCassetteRequest(request.messages);
    return read.kind === 'whole' ? this.#completeWhole(request, read, data) : this.#completeBatch(request, read, data);
  }

  async #completeWhole(request: CompletionRequest, read: Extract<CassetteRequest, { kind: 'whole' }>, data: CassetteData): Promise<CompletionResponse> {
    const hit = this.#mode === 'record' ? undefined : data.prompts[read.key];
    if (hit) {
      this.stats.replayed++;
      return { ...hit.response };
    }
    if (this.#mode === 'replay') {
      const user = read.messages.at(-1)?.content ?? '';
      throw new CassetteMissError(
        `withCassette: no recorded answer in ${this.#path} for this request, which is not a batch prompt (no "Input n:" records with a JSON answer), so it is matched whole: ${quote(user, 300)}. ${HOW_TO_RECORD}`,
        this.#path,
        [user],
      );
    }
    const response = await this.#call(request);
    data.prompts[read.key] = {
      messages: read.messages,
      response: { text: response.text, ...(response.finishReason !== undefined && { finishReason: response.finishReason }), ...(response.usage && { usage: pickUsage(response.usage) }) },
    };
    this.stats.recorded++;
    this.#scheduleWrite();
    return response;
  }

  async #completeBatch(request: CompletionRequest, read: Extract<CassetteRequest, { kind: 'batch' }>, data: CassetteData): Promise<CompletionResponse> {
    const context = this.#mode === 'record' ? undefined : data.batches[read.contextKey];
    const known = read.records.filter((r) => context?.records[r.text] !== undefined).length;
    if (context && known === read.records.length) return this.#replayBatch(read, context);
    if (this.#mode === 'replay') {
      // Answer what is recorded; the run asks again for the rest, and that request fails naming them.
      if (context && known > 0) return this.#replayBatch(read, context);
      throw this.#batchMiss(read, data);
    }

    const response = await this.#call(request);
    this.#recordBatch(read, response, data);
    // 'auto' with part of the batch on tape: the tape's answers win, the new ones were just added.
    if (this.#mode === 'auto' && known > 0) return this.#replayBatch(read, data.batches[read.contextKey]!);
    return response;
  }

  #replayBatch(read: Extract<CassetteRequest, { kind: 'batch' }>, context: RecordedContext): CompletionResponse {
    const found = read.records.flatMap((r) => {
      const recorded = context.records[r.text];
      return recorded ? [{ index: r.index, ...recorded }] : [];
    });
    this.stats.replayed += found.length;
    const usage = sumUsage(found.map((f) => f.usage));
    return { text: writeItems(found.map((f) => [f.index, f.item] as const), read.indexField), finishReason: 'stop', ...(usage && { usage }) };
  }

  #recordBatch(read: Extract<CassetteRequest, { kind: 'batch' }>, response: CompletionResponse, data: CassetteData): void {
    const items = itemsByRecord(response.text, read.records, read.indexField, read.valueField);
    const shares = apportion(response.usage && pickUsage(response.usage), read.records.length);
    let recorded = 0;
    read.records.forEach((record, i) => {
      const item = items.get(record.index);
      if (item === undefined) return;
      const context = (data.batches[read.contextKey] ??= {
        ...(read.system !== undefined && { system: read.system }),
        prompt: read.prompt,
        indexField: read.indexField,
        records: {},
      });
      if (this.#mode === 'auto' && context.records[record.text] !== undefined) return;
      context.records[record.text] = { item, ...(shares[i] && { usage: shares[i] }) };
      recorded++;
    });
    if (recorded === 0) return;
    this.stats.recorded += recorded;
    this.#scheduleWrite();
  }

  #batchMiss(read: Extract<CassetteRequest, { kind: 'batch' }>, data: CassetteData): CassetteMissError {
    const missing = read.records.filter((r) => data.batches[read.contextKey]?.records[r.text] === undefined);
    const others = Object.keys(data.batches).length - (data.batches[read.contextKey] ? 1 : 0);
    const context = data.batches[read.contextKey]
      ? `The cassette has ${Object.keys(data.batches[read.contextKey]!.records).length} other records under this prompt context`
      : `The cassette has nothing under this prompt context (it has ${others} other${others === 1 ? '' : 's'}; a changed instruction, template, system prompt or value field makes a new one)`;
    const lines = missing.slice(0, 10).map((r) => `  Input ${r.index}: ${quote(r.text, 200)}`);
    if (missing.length > 10) lines.push(`  … and ${missing.length - 10} more`);
    return new CassetteMissError(
      [
        `withCassette: no recorded answer in ${this.#path} for ${missing.length === 1 ? 'this record' : `these ${missing.length} records`}:`,
        ...lines,
        `Prompt context ${read.contextKey}: ${read.system === undefined ? '' : `system ${quote(read.system, 120)}, `}prompt ${quote(read.prompt, 300)}.`,
        `${context}. ${HOW_TO_RECORD}`,
      ].join('\n'),
      this.#path,
      missing.map((r) => r.text),
    );
  }

  async embed(request: EmbeddingRequest): Promise<EmbeddingResponse> {
    throwIfAborted(request.signal);
    const data = this.#cassette();
    const { inputs } = request;
    const missing = this.#mode === 'record' ? [...new Set(inputs)] : [...new Set(inputs.filter((t) => data.embeddings[t] === undefined))];
    if (missing.length > 0) {
      if (this.#mode === 'replay') {
        const lines = missing.slice(0, 10).map((t) => `  ${quote(t, 200)}`);
        if (missing.length > 10) lines.push(`  … and ${missing.length - 10} more`);
        throw new CassetteMissError(
          [`withCassette: no recorded embedding in ${this.#path} for ${missing.length === 1 ? 'this text' : `these ${missing.length} texts`}:`, ...lines, HOW_TO_RECORD].join('\n'),
          this.#path,
          missing,
        );
      }
      const response = await this.#call(request, missing);
      const shares = apportion(response.usage && pickUsage(response.usage), missing.length);
      missing.forEach((text, i) => {
        const vector = response.embeddings[i];
        if (vector !== undefined) data.embeddings[text] = { vector, ...(shares[i] && { usage: shares[i] }) };
      });
      this.stats.recorded += missing.length;
      this.#scheduleWrite();
      if (this.#mode === 'record' && missing.length === inputs.length) return response;
    }
    const found = inputs.map((t) => {
      const recorded = data.embeddings[t];
      if (recorded === undefined) throw new Error(`withCassette: the model returned no embedding for ${quote(t, 200)}`);
      return recorded;
    });
    this.stats.replayed += inputs.length - missing.length;
    const usage = sumUsage(found.map((f) => f.usage));
    return { embeddings: found.map((f) => [...f.vector]), ...(usage && { usage }) };
  }

  async save(): Promise<void> {
    if (this.#mode === 'replay') return;
    this.#cassette();
    this.#dirty = true;
    this.#writing ??= this.#writeLoop();
    await this.#writing;
    if (this.#writeError !== undefined) {
      const error = this.#writeError;
      this.#writeError = undefined;
      throw error;
    }
  }

  #call(request: CompletionRequest): Promise<CompletionResponse>;
  #call(request: EmbeddingRequest, inputs: string[]): Promise<EmbeddingResponse>;
  #call(request: CompletionRequest | EmbeddingRequest, inputs?: string[]): Promise<CompletionResponse | EmbeddingResponse> {
    this.stats.modelCalls++;
    if (inputs === undefined) return this.#model.complete(request as CompletionRequest);
    return this.#model.embed!({ ...(request as EmbeddingRequest), inputs });
  }

  /** The cassette in memory: loaded at first use; `record` starts from an empty one. */
  #cassette(): CassetteData {
    if (this.#data) return this.#data;
    if (this.#mode === 'record') return (this.#data = emptyCassette());
    let read: CassetteData | undefined;
    try {
      read = readCassetteFile(this.#path);
    } catch (error) {
      // Not a network error: retrying would not help, and `auto` must not write over the file.
      throw new ModelCallError((error as Error).message, { kind: 'http', cause: error });
    }
    if (read === undefined && this.#mode === 'replay') {
      throw new CassetteMissError(`withCassette: there is no cassette at ${this.#path} to replay. ${HOW_TO_RECORD}`, this.#path, []);
    }
    return (this.#data = read ?? emptyCassette());
  }

  #scheduleWrite(): void {
    this.#dirty = true;
    this.#writing ??= this.#writeLoop();
  }

  /** One write at a time; whatever changed during a write is written right after it. */
  async #writeLoop(): Promise<void> {
    try {
      while (this.#dirty) {
        this.#dirty = false;
        await writeFileAtomic(this.#path, stableJson(this.#data ?? emptyCassette()));
      }
    } catch (error) {
      this.#writeError = error;
      process.emitWarning(`withCassette: could not write ${this.#path}: ${(error as Error).message}`);
    } finally {
      this.#writing = undefined;
    }
  }
}

function pickUsage(usage: TokenUsage): TokenUsage {
  return { promptTokens: usage.promptTokens, completionTokens: usage.completionTokens };
}

function quote(text: string, max: number): string {
  const json = JSON.stringify(text);
  return json.length <= max ? json : `${json.slice(0, max - 2)}…"`;
}
