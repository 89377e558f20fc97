/**
 * One HTTP request and its response, as the simulator handles it: reads the JSON
 * body, answers in OpenAI's shapes, and knows whether the client is still there.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

/** OpenAI's error body: `{ error: { message, type, code } }`. */
export interface OpenAIErrorInfo {
  message: string;
  type: string;
  code: string | null;
  param?: string | null;
}

/** Request bodies past this size get a 413. */
const MAX_BODY_BYTES = 64 * 1024 * 1024;

export interface ExchangeHooks {
  /** Called once per response actually sent, with its status. */
  onStatus(status: number): void;
  /** Called when the client went away before an answer. */
  onClientGone(): void;
}

export class Exchange {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly #controller = new AbortController();
  readonly #hooks: ExchangeHooks;
  readonly #onSettle: Array<() => void> = [];
  #settled = false;
  #endedByServer = false;

  constructor(req: IncomingMessage, res: ServerResponse, requestId: string, hooks: ExchangeHooks) {
    this.req = req;
    this.res = res;
    this.#hooks = hooks;
    res.setHeader('x-request-id', requestId);
    res.on('close', () => {
      if (!this.#settled && !this.#endedByServer) hooks.onClientGone();
      this.#settle();
      this.#controller.abort();
    });
  }

  /** Aborts when the connection closes, for whatever reason. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** True once answered, reset, or gone. */
  get settled(): boolean {
    return this.#settled;
  }

  /** Runs `fn` once, when the exchange is answered, reset, or the client goes away. */
  onSettle(fn: () => void): void {
    if (this.#settled) fn();
    else this.#onSettle.push(fn);
  }

  /** The JSON body, or undefined after answering 400/413 (or when the client left). */
  async readJson(): Promise<Record<string, unknown> | undefined> {
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of this.req as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > MAX_BODY_BYTES) {
          this.sendError(413, { message: `request body over ${MAX_BODY_BYTES} bytes`, type: 'invalid_request_error', code: 'request_too_large' });
          return undefined;
        }
        chunks.push(chunk);
      }
    } catch {
      return undefined; // the client went away mid-body
    }
    let body: unknown;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      this.sendError(400, { message: 'We could not parse the JSON body of your request.', type: 'invalid_request_error', code: 'invalid_json' });
      return undefined;
    }
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      this.sendError(400, { message: 'The request body must be a JSON object.', type: 'invalid_request_error', code: 'invalid_json' });
      return undefined;
    }
    return body as Record<string, unknown>;
  }

  /** Answers with a JSON body, unless already settled. */
  send(status: number, body: unknown, headers: Record<string, string> = {}): void {
    if (this.#settled || this.res.destroyed) return;
    this.#hooks.onStatus(status);
    this.#settle();
    const text = JSON.stringify(body);
    this.res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    this.res.end(text);
  }

  /** Answers `{ error: { message, type, code } }`. */
  sendError(status: number, error: OpenAIErrorInfo, headers: Record<string, string> = {}): void {
    this.send(status, { error: { param: null, ...error } }, headers);
  }

  /** Drops the connection without a word (the `reset` fault). */
  reset(): void {
    this.#endedByServer = true;
    this.#settle();
    this.req.socket.destroy();
  }

  /** Marks the end as the server's doing (closing), so it isn't counted as a client abort. */
  endByServer(): void {
    this.#endedByServer = true;
    this.#settle();
    this.#controller.abort();
  }

  /** Waits `ms`; false if the connection closed meanwhile. */
  async wait(ms: number): Promise<boolean> {
    if (this.signal.aborted) return false;
    if (ms <= 0) return true;
    try {
      await sleep(ms, undefined, { signal: this.signal });
      return true;
    } catch {
      return false;
    }
  }

  /** Waits until the connection closes (the `hang` fault): the client aborts or the server closes. */
  async hang(): Promise<void> {
    if (this.signal.aborted) return;
    await new Promise<void>((resolve) => this.signal.addEventListener('abort', () => resolve(), { once: true }));
  }

  #settle(): void {
    if (this.#settled) return;
    this.#settled = true;
    for (const fn of this.#onSettle.splice(0)) fn();
  }
}
