/**
 * A Batch API input file, read and checked the way OpenAI validates it: one
 * `{ custom_id, method, url, body }` request per JSONL line, every url the job's
 * endpoint, one model, unique custom ids, at most `maxRequests` lines. A file
 * that fails any check fails the whole job, with one error per bad line.
 */

/** One request of the input file. */
export interface BatchRequestLine {
  customId: string;
  body: Record<string, unknown>;
}

/** An entry of a failed job's `errors.data` (OpenAI's `BatchError`). */
export interface BatchLineError {
  code: string;
  message: string;
  param: string | null;
  /** 1-based line of the input file, or null for the file as a whole. */
  line: number | null;
}

export type BatchInput = { ok: true; lines: BatchRequestLine[]; model: string | undefined } | { ok: false; errors: BatchLineError[] };

/** A failed job lists at most this many line errors. */
const MAX_REPORTED_ERRORS = 100;

/**
 * @example
 * readBatchInput(Buffer.from('{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{"model":"m","messages":[]}}\n'), '/v1/chat/completions', 50_000);
 * // → { ok: true, model: 'm', lines: [{ customId: 'a', body: { model: 'm', messages: [] } }] }
 * readBatchInput(Buffer.from('not json\n'), '/v1/chat/completions', 50_000);
 * // → { ok: false, errors: [{ code: 'invalid_json_line', line: 1, … }] }
 */
export function readBatchInput(content: Buffer, endpoint: string, maxRequests: number): BatchInput {
  const texts = content
    .toString('utf8')
    .split('\n')
    .map((text, at) => ({ text: text.replace(/\r$/, ''), line: at + 1 }))
    .filter(({ text }) => text.trim() !== '');
  if (texts.length === 0) return failed([{ code: 'empty_file', message: 'The input file is empty: it holds no requests.', param: null, line: null }]);
  if (texts.length > maxRequests) {
    return failed([
      {
        code: 'too_many_tasks',
        message: `The input file has ${texts.length} requests; a batch may hold at most ${maxRequests}. Split the requests into several files and batches.`,
        param: null,
        line: null,
      },
    ]);
  }

  const errors: BatchLineError[] = [];
  const lines: BatchRequestLine[] = [];
  const seen = new Set<string>();
  let model: string | undefined;
  for (const { text, line } of texts) {
    const error = (code: string, message: string, param: string | null = null) => errors.push({ code, message, param, line });
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      error('invalid_json_line', 'This line is not parseable as valid JSON.');
      continue;
    }
    if (!isObject(parsed)) {
      error('invalid_json_line', 'This line is not a JSON object.');
      continue;
    }
    const { custom_id: customId, method, url, body } = parsed;
    if (typeof customId !== 'string' || customId === '') {
      error('missing_required_parameter', "Missing required parameter: 'custom_id' (a non-empty string).", 'custom_id');
      continue;
    }
    if (seen.has(customId)) {
      error('duplicate_custom_id', `The custom_id '${customId}' is a duplicate of another request's. The custom_id parameter must be unique for each request in a batch.`, 'custom_id');
      continue;
    }
    seen.add(customId);
    if (method !== 'POST') {
      error('invalid_value', `Invalid method ${JSON.stringify(method)}: only 'POST' is supported.`, 'method');
      continue;
    }
    if (url !== endpoint) {
      error('url_mismatch', `The url ${JSON.stringify(url)} of this request does not match the batch's endpoint '${endpoint}'.`, 'url');
      continue;
    }
    if (!isObject(body)) {
      error('missing_required_parameter', "Missing required parameter: 'body' (the request's JSON object).", 'body');
      continue;
    }
    if (typeof body.model !== 'string' || body.model === '') {
      error('missing_required_parameter', "Missing required parameter: 'body.model'.", 'body.model');
      continue;
    }
    model ??= body.model;
    if (body.model !== model) {
      error('model_mismatch', `The model '${body.model}' of this request differs from '${model}' of the first: a batch input file may use only one model.`, 'body.model');
      continue;
    }
    lines.push({ customId, body });
  }
  return errors.length > 0 ? failed(errors) : { ok: true, lines, model };
}

function failed(errors: BatchLineError[]): BatchInput {
  return { ok: false, errors: errors.slice(0, MAX_REPORTED_ERRORS) };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
