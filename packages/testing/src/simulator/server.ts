/**
 * The simulator: a real HTTP server speaking enough of the OpenAI API for the
 * `openai` SDK (and anything else OpenAI-compatible) to run against it, with
 * seeded latency, answer defects, rate limits and faults.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { answerChat } from '../chat-answering.js';
import type { MessageLike } from '../prompt-reading.js';
import { allMessageText } from '../prompt-reading.js';
import { streamFor, type SeededRandom } from '../seeded-random.js';
import { estimateTokens } from '../token-estimate.js';
import { BatchApi } from './batch-api.js';
import { chatBodyError, requestedMaxTokens, responseFormatOf } from './chat-request.js';
import { contextLengthError } from './context-window.js';
import { embeddingFor, embeddingInputs } from './embeddings.js';
import { Exchange } from './exchange.js';
import { chatCompletionBody } from './chat-completion-body.js';
import { drawFault } from './faults.js';
import { resolveSimulatorOptions, type ResolvedSimulatorOptions, type SimulatorOptions, type SimulatorSettings } from './options.js';
import { RateWindow } from './rate-window.js';
import { PromptCache } from './prompt-cache.js';
import { countUp, emptyStats, type SimulatorStats } from './stats.js';

/** A running simulator. */
export interface Simulator {
  /** The OpenAI base URL, e.g. `http://127.0.0.1:54321/v1`: give it to the SDK as `baseURL`. */
  readonly url: string;
  readonly port: number;
  /** Live counters; see {@link SimulatorStats}. */
  readonly stats: SimulatorStats;
  /** Changes settings for the requests that follow; each key given replaces that setting whole. */
  configure(settings: SimulatorSettings): void;
  /** Zeroes the counters (in place: references to `stats` stay live). */
  resetStats(): void;
  /** Ends every request and connection at once, hanging ones included, and stops listening. */
  close(): Promise<void>;
}

/**
 * Starts a simulator on 127.0.0.1 (any free port unless `port` is given).
 *
 * @example
 * import OpenAI from 'openai';
 * import { startSimulator } from '@mlpredict/testing';
 *
 * const sim = await startSimulator({ latencyMs: [20, 80], seed: 7, defects: { fence: 0.1 } });
 * const client = new OpenAI({ baseURL: sim.url, apiKey: 'test', maxRetries: 0 });
 * const reply = await client.chat.completions.create({
 *   model: 'any',
 *   messages: [{ role: 'user', content: 'Input 1: "Great phone"\nInput 2: "It broke"\nReturn [{"index": n, "sentiment": "..."}]' }],
 * });
 * reply.choices[0].message.content; // → '[{"index":1,"sentiment":"positive"},{"index":2,"sentiment":"negative"}]' (or fenced)
 * await sim.close();
 */
export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const simulator = new SimulatorServer(resolveSimulatorOptions(options));
  await simulator.listen();
  return simulator;
}

class SimulatorServer implements Simulator {
  readonly stats: SimulatorStats = emptyStats();
  #options: ResolvedSimulatorOptions;
  readonly #server: Server;
  readonly #exchanges = new Set<Exchange>();
  #window: RateWindow | undefined;
  #defectRandom!: SeededRandom;
  #faultRandom!: SeededRandom;
  #latencyRandom!: SeededRandom;
  #accuracyRandom!: SeededRandom;
  readonly #batchApi: BatchApi;
  #promptCache: PromptCache | undefined;
  #requestCount = 0;
  #closing: Promise<void> | undefined;

  constructor(options: ResolvedSimulatorOptions) {
    this.#options = options;
    this.#seed(options.seed);
    this.#window = options.rateLimit && new RateWindow(options.rateLimit);
    this.#promptCache = options.promptCache && new PromptCache(options.promptCache);
    this.#batchApi = new BatchApi({ options: () => this.#options, stats: this.stats });
    this.#server = createServer((req, res) => void this.#handle(req, res));
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(this.#options.port, this.#options.host, () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
  }

  get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  get url(): string {
    const host = this.#options.host.includes(':') ? `[${this.#options.host}]` : this.#options.host;
    return `http://${host}:${this.port}/v1`;
  }

  configure(settings: SimulatorSettings): void {
    // A key set to undefined goes back to its default (e.g. `{ rateLimit: undefined }` lifts the limit).
    const next = resolveSimulatorOptions({ ...this.#options, ...settings, port: this.#options.port, host: this.#options.host });
    this.#options = next;
    if ('seed' in settings) this.#seed(next.seed);
    if ('rateLimit' in settings) this.#window = next.rateLimit && new RateWindow(next.rateLimit);
    if ('promptCache' in settings) this.#promptCache = next.promptCache && new PromptCache(next.promptCache);
  }

  resetStats(): void {
    const inFlight = this.stats.inFlight;
    Object.assign(this.stats, emptyStats(), { inFlight, peakInFlight: inFlight });
  }

  close(): Promise<void> {
    this.#closing ??= new Promise<void>((resolve) => {
      for (const exchange of this.#exchanges) exchange.endByServer();
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
    return this.#closing;
  }

  #seed(seed: number): void {
    this.#defectRandom = streamFor(seed, 'defects');
    this.#faultRandom = streamFor(seed, 'faults');
    this.#latencyRandom = streamFor(seed, 'latency');
    this.#accuracyRandom = streamFor(seed, 'accuracy');
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.stats.requests++;
    const exchange = new Exchange(req, res, `req_sim_${(++this.#requestCount).toString(16).padStart(8, '0')}`, {
      onStatus: (status) => countUp(this.stats.byStatus, status),
      onClientGone: () => this.stats.aborted++,
    });
    this.#exchanges.add(exchange);
    exchange.onSettle(() => this.#exchanges.delete(exchange));
    if (this.#closing) return exchange.endByServer();

    try {
      const url = new URL(req.url ?? '/', 'http://simulator');
      const path = url.pathname.replace(/\/+$/, '');
      if (!this.#authorized(req)) {
        exchange.sendError(401, { message: 'Incorrect API key provided.', type: 'invalid_request_error', code: 'invalid_api_key' });
      } else if (req.method === 'POST' && path === '/v1/chat/completions') {
        await this.#chat(exchange);
      } else if (req.method === 'POST' && path === '/v1/embeddings') {
        await this.#embeddings(exchange);
      } else if (BatchApi.serves(path)) {
        await this.#batchApi.handle(exchange, req.method ?? 'GET', path, url.searchParams);
      } else if (req.method === 'GET' && path === '/v1/models') {
        exchange.send(200, { object: 'list', data: [this.#modelEntry(this.#options.model)] });
      } else if (req.method === 'GET' && path.startsWith('/v1/models/')) {
        exchange.send(200, this.#modelEntry(decodeURIComponent(path.slice('/v1/models/'.length))));
      } else {
        exchange.sendError(404, { message: `Unknown request URL: ${req.method} ${path}.`, type: 'invalid_request_error', code: 'unknown_url' });
      }
    } catch (error) {
      exchange.sendError(500, { message: `simulator error: ${(error as Error).message}`, type: 'server_error', code: 'simulator_error' });
    }
  }

  #authorized(req: IncomingMessage): boolean {
    return this.#options.apiKey === undefined || req.headers.authorization === `Bearer ${this.#options.apiKey}`;
  }

  /** With `knownModels`: answers OpenAI's 404 for any other model, and says so. */
  #unknownModel(exchange: Exchange, model: unknown): boolean {
    const known = this.#options.knownModels;
    if (!known || (typeof model === 'string' && known.includes(model))) return false;
    exchange.sendError(404, { message: `The model \`${String(model)}\` does not exist or you do not have access to it.`, type: 'invalid_request_error', code: 'model_not_found' });
    return true;
  }

  #modelEntry(id: string) {
    return { id, object: 'model', created: 1_700_000_000, owned_by: 'mlpredict' };
  }

  async #chat(exchange: Exchange): Promise<void> {
    const body = await exchange.readJson();
    if (body === undefined) return;
    this.stats.chatRequests++;
    const invalid = chatBodyError(body);
    if (invalid) return exchange.sendError(400, invalid);
    if (this.#unknownModel(exchange, body.model)) return;
    const messages = body.messages as MessageLike[];
    const promptTokens = estimateTokens(allMessageText(messages));
    const maxTokens = requestedMaxTokens(body);
    // Checked before admission: a request that can't fit uses no rate-limit room.
    const overflow = contextLengthError(promptTokens, maxTokens, this.#options.contextTokens);
    if (overflow) {
      this.stats.contextExceeded++;
      return exchange.sendError(400, overflow);
    }
    if (!this.#admit(exchange, promptTokens + maxTokens)) return;

    // Drawn on arrival, so a seed repeats whatever the latencies do to the finishing order.
    const fault = drawFault(this.#options.faults, this.#faultRandom);
    const label = this.#options.label;
    const accuracy = this.#options.accuracy && { curve: this.#options.accuracy, random: this.#accuracyRandom };
    const { answer, recordCount, wrongAnswers } = answerChat(messages, responseFormatOf(body), (text) => label(text), this.#options.defects, this.#defectRandom, accuracy);
    this.stats.recordsSeen += recordCount;
    this.stats.wrongAnswers += wrongAnswers;
    const tokenDelay = this.#tokenLatency(promptTokens, answer.kind === 'text' ? estimateTokens(answer.text) : 0);
    if (!(await this.#sufferFault(exchange, fault, tokenDelay))) return;

    if (answer.kind === 'serverError') {
      countUp(this.stats.defects, 'serverError');
      return exchange.sendError(500, { message: 'The server had an error while processing your request. Sorry about that!', type: 'server_error', code: 'server_error' });
    }
    if (answer.kind === 'errorObject') {
      // What some gateways do when the model behind them fails: HTTP 200, an error object, no choices.
      countUp(this.stats.defects, 'errorObject');
      return exchange.send(200, { error: { message: 'The upstream model failed while generating a response.', type: 'upstream_error' } });
    }
    if (exchange.settled) return;
    const completionTokens = estimateTokens(answer.text);
    for (const name of answer.applied) countUp(this.stats.defects, name);
    this.stats.promptTokens += promptTokens;
    this.stats.completionTokens += completionTokens;
    const cachedPromptTokens = this.#promptCache?.lookup(allMessageText(messages));
    if (cachedPromptTokens !== undefined) this.stats.cachedPromptTokens += cachedPromptTokens;
    exchange.send(
      200,
      chatCompletionBody({
        cachedPromptTokens,
        id: `chatcmpl-sim${this.#requestCount}`,
        model: typeof body.model === 'string' ? body.model : this.#options.model,
        text: answer.text,
        finishReason: answer.finishReason,
        promptTokens,
        completionTokens,
        contentParts: answer.contentParts,
        garbageUsage: answer.garbageUsage,
      }),
    );
  }

  async #embeddings(exchange: Exchange): Promise<void> {
    const body = await exchange.readJson();
    if (body === undefined) return;
    this.stats.embeddingRequests++;
    if (this.#unknownModel(exchange, body.model)) return;
    const inputs = embeddingInputs(body.input);
    if (inputs === undefined || inputs.length === 0) {
      return exchange.sendError(400, { message: "'input' must be a non-empty string or array of strings.", type: 'invalid_request_error', code: 'invalid_value', param: 'input' });
    }
    const { maxEmbeddingInputs } = this.#options;
    if (inputs.length > maxEmbeddingInputs) {
      return exchange.sendError(400, {
        message: `'input' has ${inputs.length} items; at most ${maxEmbeddingInputs} are allowed per request.`,
        type: 'invalid_request_error',
        code: 'too_many_inputs',
        param: 'input',
      });
    }
    const dimensions = Number.isInteger(body.dimensions) && (body.dimensions as number) > 0 ? (body.dimensions as number) : this.#options.embeddingDimensions;
    const promptTokens = inputs.reduce((sum, text) => sum + estimateTokens(text), 0);
    if (!this.#admit(exchange, promptTokens)) return;
    const fault = drawFault(this.#options.faults, this.#faultRandom);
    if (!(await this.#sufferFault(exchange, fault)) || exchange.settled) return;

    // The openai SDK asks for base64 (little-endian float32) unless told otherwise.
    const base64 = body.encoding_format === 'base64';
    this.stats.promptTokens += promptTokens;
    exchange.send(200, {
      object: 'list',
      data: inputs.map((text, index) => {
        const vector = embeddingFor(text, dimensions);
        return { object: 'embedding', index, embedding: base64 ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector };
      }),
      model: typeof body.model === 'string' ? body.model : this.#options.model,
      usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
    });
  }

  /**
   * Lets a request in, or answers 429. `maxInFlight` is checked first, so a request
   * it refuses doesn't use up rate-limit room.
   */
  #admit(exchange: Exchange, tokens: number): boolean {
    const { maxInFlight, maxInFlightRetryAfterMs } = this.#options;
    if (maxInFlight !== undefined && this.stats.inFlight >= maxInFlight) {
      this.#rateLimited(exchange, `Too many requests in flight: at most ${maxInFlight} at a time.`, 'requests', maxInFlightRetryAfterMs, {});
      return false;
    }
    if (this.#window) {
      const decision = this.#window.tryAdmit(tokens);
      if (!decision.admitted) {
        const message =
          decision.retryAfterMs === undefined
            ? `Request too large: ${tokens} tokens is over the limit of ${this.#options.rateLimit?.tokens} per ${this.#options.rateLimit?.windowMs} ms.`
            : `Rate limit reached for ${decision.limit}: please try again in ${decision.retryAfterMs}ms.`;
        this.#rateLimited(exchange, message, decision.limit, decision.retryAfterMs, decision.headers);
        return false;
      }
      for (const [name, value] of Object.entries(decision.headers)) exchange.res.setHeader(name, value);
    }
    this.stats.inFlight++;
    this.stats.peakInFlight = Math.max(this.stats.peakInFlight, this.stats.inFlight);
    exchange.onSettle(() => this.stats.inFlight--);
    return true;
  }

  #rateLimited(exchange: Exchange, message: string, type: string, retryAfterMs: number | undefined, headers: Record<string, string>): void {
    this.stats.rateLimited++;
    const hints: Record<string, string> = retryAfterMs === undefined ? {} : { 'retry-after-ms': String(retryAfterMs), 'retry-after': String(Math.ceil(retryAfterMs / 1000)) };
    exchange.sendError(429, { message, type, code: 'rate_limit_exceeded' }, { ...headers, ...hints });
  }

  /**
   * Applies the drawn fault and the latency (plus `extraMs`, the per-token part);
   * true when the request should now be answered.
   */
  async #sufferFault(exchange: Exchange, fault: ReturnType<typeof drawFault>, extraMs = 0): Promise<boolean> {
    if (fault.failure) countUp(this.stats.faults, fault.failure);
    if (fault.slow) countUp(this.stats.faults, 'slow');
    if (fault.failure === 'rateLimit') {
      this.#rateLimited(exchange, 'Rate limit reached (simulated fault).', 'requests', this.#options.faults.retryAfterMs ?? 100, {});
      return false;
    }
    if (fault.failure === 'hang') {
      await exchange.hang();
      return false;
    }
    const delay = this.#drawLatency() + extraMs + (fault.slow ? (this.#options.faults.slowMs ?? 1000) : 0);
    // OpenAI's header for the time the model took; here, the delay the simulator chose.
    exchange.res.setHeader('openai-processing-ms', String(Math.round(delay)));
    if (!(await exchange.wait(delay))) return false;
    switch (fault.failure) {
      case 'reset':
        exchange.reset();
        return false;
      case 'unavailable':
        exchange.sendError(503, { message: 'The engine is currently overloaded, please try again later.', type: 'server_error', code: 'service_unavailable' });
        return false;
      case 'serverError':
        exchange.sendError(500, { message: 'The server had an error while processing your request. Sorry about that!', type: 'server_error', code: 'server_error' });
        return false;
      default:
        return true;
    }
  }

  /** `latencyPerTokenMs`: the part of a chat answer's delay that grows with its tokens. */
  #tokenLatency(promptTokens: number, completionTokens: number): number {
    const perToken = this.#options.latencyPerTokenMs;
    return perToken.prompt * promptTokens + perToken.completion * completionTokens;
  }

  #drawLatency(): number {
    const [min, max] = this.#options.latencyMs;
    const draw = this.#latencyRandom.next();
    return min + draw * (max - min);
  }
}

