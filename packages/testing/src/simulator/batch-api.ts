/**
 * The simulator's `/v1/files` and `/v1/batches`: enough of OpenAI's Batch API
 * for the openai SDK to upload a JSONL of requests, run it as a job, poll it,
 * cancel it and download what came out.
 */
import { streamFor } from '../seeded-random.js';
import { readBatchInput } from './batch-input.js';
import { BatchJob } from './batch-job.js';
import { answerBatchLine, BATCH_ENDPOINTS, type BatchEndpoint, type LineAnswering } from './batch-lines.js';
import type { Exchange, OpenAIErrorInfo } from './exchange.js';
import { fileObject, FileStore, UPLOAD_PURPOSES, type FilePurpose } from './files-store.js';
import { readUploadForm } from './multipart.js';
import type { ResolvedSimulatorOptions } from './options.js';
import { countUp, type SimulatorStats } from './stats.js';

/** OpenAI's per-file upload limit (any purpose); batch files have `batch.maxFileBytes`. */
const MAX_UPLOAD_BYTES = 512 * 1024 * 1024;
/** Room for the multipart envelope around a file of the allowed size. */
const MULTIPART_SLACK_BYTES = 64 * 1024;

/** What the API reads from the simulator that serves it. */
export interface BatchApiHost {
  /** The options now (a job keeps those it was created with). */
  options(): ResolvedSimulatorOptions;
  readonly stats: SimulatorStats;
}

export class BatchApi {
  readonly #host: BatchApiHost;
  readonly #files = new FileStore();
  readonly #jobs = new Map<string, BatchJob>();
  #jobCount = 0;

  /**
   * @example
   * const api = new BatchApi({ options: () => resolved, stats });
   * if (BatchApi.serves(path)) await api.handle(exchange, 'GET', path, url.searchParams);
   */
  constructor(host: BatchApiHost) {
    this.#host = host;
  }

  /** True for the paths this API answers. */
  static serves(path: string): boolean {
    return /^\/v1\/(files|batches)(\/|$)/.test(path);
  }

  async handle(exchange: Exchange, method: string, path: string, query: URLSearchParams): Promise<void> {
    const [, , collection, id, action, ...rest] = path.split('/');
    const decodedId = id === undefined ? undefined : decodeURIComponent(id);
    if (rest.length > 0) return notFound(exchange, method, path);
    if (collection === 'files') {
      if (decodedId === undefined && action === undefined) {
        if (method === 'POST') return this.#upload(exchange);
        if (method === 'GET') return this.#listFiles(exchange, query);
      } else if (decodedId !== undefined && action === undefined) {
        if (method === 'GET') return this.#retrieveFile(exchange, decodedId);
        if (method === 'DELETE') return this.#deleteFile(exchange, decodedId);
      } else if (decodedId !== undefined && action === 'content' && method === 'GET') {
        return this.#fileContent(exchange, decodedId);
      }
    } else {
      if (decodedId === undefined && action === undefined) {
        if (method === 'POST') return this.#createBatch(exchange);
        if (method === 'GET') return this.#listBatches(exchange, query);
      } else if (decodedId !== undefined && action === undefined && method === 'GET') {
        return this.#retrieveBatch(exchange, decodedId);
      } else if (decodedId !== undefined && action === 'cancel' && method === 'POST') {
        return this.#cancelBatch(exchange, decodedId);
      }
    }
    return notFound(exchange, method, path);
  }

  #now(): number {
    return this.#host.options().batch.clock();
  }

  async #upload(exchange: Exchange): Promise<void> {
    const form = await readUploadForm(exchange.req, MAX_UPLOAD_BYTES + MULTIPART_SLACK_BYTES);
    if ('kind' in form) {
      if (form.kind === 'clientGone') return;
      const message =
        form.kind === 'tooLarge'
          ? `File is too large: an upload may be at most ${MAX_UPLOAD_BYTES} bytes.`
          : form.kind === 'notMultipart'
            ? 'Uploads must be multipart/form-data with a `file` and a `purpose`.'
            : 'The multipart/form-data body could not be parsed.';
      return badRequest(exchange, { message, code: form.kind === 'tooLarge' ? 'file_too_large' : 'invalid_request', param: form.kind === 'tooLarge' ? 'file' : null });
    }
    const purpose = form.fields.get('purpose');
    if (purpose === undefined) return badRequest(exchange, { message: "Missing required parameter: 'purpose'.", code: 'missing_required_parameter', param: 'purpose' });
    if (!(UPLOAD_PURPOSES as readonly string[]).includes(purpose)) {
      return badRequest(exchange, { message: `Invalid purpose '${purpose}': expected one of ${UPLOAD_PURPOSES.join(', ')}.`, code: 'invalid_value', param: 'purpose' });
    }
    const file = form.files.get('file');
    if (file === undefined) return badRequest(exchange, { message: "Missing required parameter: 'file' (a file part).", code: 'missing_required_parameter', param: 'file' });
    if (purpose === 'batch') {
      if (!file.filename.endsWith('.jsonl')) return badRequest(exchange, { message: 'Invalid file format for Batch API. Must be .jsonl', code: 'invalid_file_format', param: 'file' });
      const limit = this.#host.options().batch.maxFileBytes;
      if (file.content.length > limit) {
        return badRequest(exchange, {
          message: `File is too large: ${file.content.length} bytes; a batch input file may be at most ${limit} bytes. Split the requests into several files.`,
          code: 'file_too_large',
          param: 'file',
        });
      }
    }
    this.#host.stats.filesUploaded++;
    exchange.send(200, fileObject(this.#files.add(file.content, file.filename, purpose as FilePurpose)));
  }

  #listFiles(exchange: Exchange, query: URLSearchParams): void {
    const purpose = query.get('purpose');
    const files = this.#files.all().filter((file) => purpose === null || file.purpose === purpose);
    if (query.get('order') !== 'asc') files.reverse();
    exchange.send(200, page(files.map(fileObject), query, 10_000));
  }

  #retrieveFile(exchange: Exchange, id: string): void {
    const file = this.#files.get(id);
    if (file === undefined) return noSuchFile(exchange, id);
    exchange.send(200, fileObject(file));
  }

  #deleteFile(exchange: Exchange, id: string): void {
    if (!this.#files.delete(id)) return noSuchFile(exchange, id);
    exchange.send(200, { id, object: 'file', deleted: true });
  }

  #fileContent(exchange: Exchange, id: string): void {
    const file = this.#files.get(id);
    if (file === undefined) return noSuchFile(exchange, id);
    // Exchange answers only JSON; the bytes go out by hand, with the exchange
    // marked ended by the server so the close isn't counted as a client abort.
    if (exchange.settled || exchange.res.destroyed) return;
    exchange.endByServer();
    countUp(this.#host.stats.byStatus, 200);
    exchange.res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': file.content.length });
    exchange.res.end(file.content);
  }

  async #createBatch(exchange: Exchange): Promise<void> {
    const body = await exchange.readJson();
    if (body === undefined) return;
    const options = this.#host.options();
    const { input_file_id: inputFileId, endpoint, completion_window: completionWindow, metadata } = body;
    if (typeof inputFileId !== 'string') return badRequest(exchange, { message: "Missing required parameter: 'input_file_id'.", code: 'missing_required_parameter', param: 'input_file_id' });
    const file = this.#files.get(inputFileId);
    if (file === undefined) return badRequest(exchange, { message: `Cannot find file ${inputFileId}: it was never uploaded or has been deleted.`, code: 'invalid_value', param: 'input_file_id' });
    if (file.purpose !== 'batch') return badRequest(exchange, { message: `File ${inputFileId} has purpose '${file.purpose}'; a batch input file must be uploaded with purpose 'batch'.`, code: 'invalid_value', param: 'input_file_id' });
    if (!(BATCH_ENDPOINTS as readonly unknown[]).includes(endpoint)) {
      return badRequest(exchange, { message: `Invalid endpoint ${JSON.stringify(endpoint)}: the simulator runs batches for ${BATCH_ENDPOINTS.join(' and ')}.`, code: 'invalid_value', param: 'endpoint' });
    }
    if (completionWindow !== '24h') return badRequest(exchange, { message: `Invalid completion_window ${JSON.stringify(completionWindow)}: only '24h' is supported.`, code: 'invalid_value', param: 'completion_window' });
    const metadataProblem = checkMetadata(metadata);
    if (metadataProblem) return badRequest(exchange, { message: metadataProblem, code: 'invalid_value', param: 'metadata' });

    const number = ++this.#jobCount;
    const id = `batch_sim${number.toString(16).padStart(6, '0')}`;
    const stream = (purpose: string) => streamFor(options.seed, `batch ${number} ${purpose}`);
    const answering: LineAnswering = {
      endpoint: endpoint as BatchEndpoint,
      label: options.label,
      defects: { ...options.defects },
      contextTokens: options.contextTokens,
      embeddingDimensions: options.embeddingDimensions,
      maxEmbeddingInputs: options.maxEmbeddingInputs,
      failedLineRate: options.batch.failedLineRate,
      defectRandom: stream('defects'),
      failureRandom: stream('failures'),
      accuracy: options.accuracy && { curve: options.accuracy, random: stream('accuracy') },
      stats: this.#host.stats,
    };
    const job = new BatchJob({
      id,
      inputFileId,
      endpoint: endpoint as string,
      completionWindow,
      metadata: (metadata as Record<string, string> | null | undefined) ?? null,
      createdAt: this.#now(),
      input: readBatchInput(file.content, endpoint as string, options.batch.maxRequestsPerFile),
      settings: { ...options.batch },
      answer: (line, index) => answerBatchLine(line, `chatcmpl-${id}-${index}`, answering),
      orderRandom: stream('order'),
      files: this.#files,
      stats: this.#host.stats,
    });
    this.#jobs.set(id, job);
    this.#host.stats.batchesCreated++;
    // OpenAI answers a create with the job as just made: `validating`.
    exchange.send(200, job.createdView());
  }

  #retrieveBatch(exchange: Exchange, id: string): void {
    const job = this.#jobs.get(id);
    if (job === undefined) return noSuchBatch(exchange, id);
    exchange.send(200, job.view(this.#now()));
  }

  #cancelBatch(exchange: Exchange, id: string): void {
    const job = this.#jobs.get(id);
    if (job === undefined) return noSuchBatch(exchange, id);
    const now = this.#now();
    const outcome = job.cancel(now);
    if (outcome === 'ended') return badRequest(exchange, { message: `Cannot cancel a batch with status '${job.status(now)}'.`, code: 'invalid_state', param: null });
    exchange.send(200, outcome === 'started' ? job.cancellingView() : job.view(now));
  }

  #listBatches(exchange: Exchange, query: URLSearchParams): void {
    const now = this.#now();
    const jobs = [...this.#jobs.values()].reverse();
    exchange.send(200, page(jobs.map((job) => job.view(now)), query, 20));
  }
}

/** OpenAI's cursor page: `limit` items after the id `after`. */
function page<T extends { id: string }>(items: T[], query: URLSearchParams, defaultLimit: number) {
  const after = query.get('after');
  const start = after === null ? 0 : items.findIndex((item) => item.id === after) + 1;
  const limit = Math.max(1, Number(query.get('limit')) || defaultLimit);
  const data = items.slice(start, start + limit);
  return { object: 'list', data, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null, has_more: start + limit < items.length };
}

/** OpenAI's metadata rules: at most 16 string pairs, keys ≤ 64 and values ≤ 512 characters. */
function checkMetadata(metadata: unknown): string | undefined {
  if (metadata === undefined || metadata === null) return undefined;
  if (typeof metadata !== 'object' || Array.isArray(metadata)) return "'metadata' must be an object of string values.";
  const entries = Object.entries(metadata);
  if (entries.length > 16) return `'metadata' has ${entries.length} keys; at most 16 are allowed.`;
  for (const [key, value] of entries) {
    if (key.length > 64) return `metadata key '${key.slice(0, 20)}…' is over 64 characters.`;
    if (typeof value !== 'string' || value.length > 512) return `metadata['${key}'] must be a string of at most 512 characters.`;
  }
  return undefined;
}

function badRequest(exchange: Exchange, error: Omit<OpenAIErrorInfo, 'type'>): void {
  exchange.sendError(400, { type: 'invalid_request_error', ...error });
}

function noSuchFile(exchange: Exchange, id: string): void {
  exchange.sendError(404, { message: `No such File object: ${id}`, type: 'invalid_request_error', code: null, param: 'id' });
}

function noSuchBatch(exchange: Exchange, id: string): void {
  exchange.sendError(404, { message: `No batch found with id '${id}'.`, type: 'invalid_request_error', code: null, param: 'batch_id' });
}

function notFound(exchange: Exchange, method: string, path: string): void {
  exchange.sendError(404, { message: `Unknown request URL: ${method} ${path}.`, type: 'invalid_request_error', code: 'unknown_url' });
}
