/**
 * OpenAI's Batch API behind the provider-neutral {@link BatchApi}: requests as
 * JSONL lines for `/v1/chat/completions`, uploaded as a `batch` file, run as a
 * job, polled, cancelled, and read back from its output and error files. Works
 * against any endpoint that implements `/v1/files` and `/v1/batches` (OpenAI,
 * Azure OpenAI's global batch, the bundled simulator).
 */
import type OpenAI from 'openai';
import { toFile } from 'openai';
import type { Batch } from 'openai/resources/batches';
import type { BatchApi, BatchJobInfo, BatchJobStatus, BatchLimits, BatchLineOutcome, BatchRequest, CompletionResponse } from '../model/model.js';
import { ModelCallError } from '../model/errors.js';
import { openAIUsage } from '../model/token-usage.js';
import { chatBody } from './openai-chat-body.js';
import { fromOpenAIError } from './openai-errors.js';

/** OpenAI's limits on one batch input file. */
export const OPENAI_BATCH_LIMITS: BatchLimits = { maxRequests: 50_000, maxBytes: 200_000_000 };

/** The metadata key a job's tag is kept under. */
export const TAG_KEY = 'mlpredict_tag';

const ENDPOINT = '/v1/chat/completions';
const STATUS: Record<Batch['status'], BatchJobStatus> = {
  validating: 'pending',
  in_progress: 'running',
  finalizing: 'running',
  cancelling: 'cancelling',
  completed: 'completed',
  failed: 'failed',
  expired: 'expired',
  cancelled: 'cancelled',
};
/** Looked through when finding a job by tag: jobs made a little before `since` still count (clocks differ). */
const CLOCK_SLACK_MS = 5 * 60_000;

/**
 * @param client an `openai` client (its retries are turned off per request: mlpredict retries)
 * @param model the model id every line asks for
 * @example
 * const api = openAIBatches(new OpenAI(), 'gpt-4o-mini');
 * const job = await api.submit([api.encode({ id: 'batch-0', request: { messages } })], { tag: 'run-1:0', completionWindow: '24h' });
 */
export function openAIBatches(client: OpenAI, model: string, limits: BatchLimits = OPENAI_BATCH_LIMITS): BatchApi {
  const call = async <T>(run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      throw fromOpenAIError(error);
    }
  };
  const requestOptions = (signal?: AbortSignal) => ({ signal, maxRetries: 0 });

  return {
    limits,

    encode({ id, request }: BatchRequest): string {
      return JSON.stringify({ custom_id: id, method: 'POST', url: ENDPOINT, body: chatBody(model, request) });
    },

    submit: (lines, { tag, completionWindow, signal }) =>
      call(async () => {
        const bytes = Buffer.from(lines.length === 0 ? '' : `${lines.join('\n')}\n`);
        const file = await client.files.create({ file: await toFile(bytes, 'mlpredict-requests.jsonl'), purpose: 'batch' }, requestOptions(signal));
        const job = await client.batches.create(
          { input_file_id: file.id, endpoint: ENDPOINT, completion_window: completionWindow as '24h', metadata: { [TAG_KEY]: tag } },
          requestOptions(signal),
        );
        return jobInfo(job);
      }),

    find: (tag, { since, signal }) =>
      call(async () => {
        // Newest first: stop at the first job made before the tagged one could have been.
        for await (const job of client.batches.list({ limit: 100 }, requestOptions(signal))) {
          if (job.metadata?.[TAG_KEY] === tag) return jobInfo(job);
          if (job.created_at * 1000 < since - CLOCK_SLACK_MS) return undefined;
        }
        return undefined;
      }),

    retrieve: (id, options = {}) => call(async () => jobInfo(await client.batches.retrieve(id, requestOptions(options.signal)))),

    cancel: (id, options = {}) => call(async () => jobInfo(await client.batches.cancel(id, requestOptions(options.signal)))),

    results: (id, options = {}) =>
      call(async () => {
        const job = await client.batches.retrieve(id, requestOptions(options.signal));
        const outcomes: BatchLineOutcome[] = [];
        for (const fileId of [job.output_file_id, job.error_file_id]) {
          if (!fileId) continue;
          const content = await (await client.files.content(fileId, requestOptions(options.signal))).text();
          for (const line of content.split('\n')) {
            const outcome = line.trim() === '' ? undefined : readOutputLine(line);
            if (outcome) outcomes.push(outcome);
          }
        }
        return outcomes;
      }),
  };
}

function jobInfo(job: Batch): BatchJobInfo {
  const counts = job.request_counts ?? { total: 0, completed: 0, failed: 0 };
  const tag = job.metadata?.[TAG_KEY];
  const errors = job.errors?.data?.map((e) => [e.line !== undefined && e.line !== null ? `line ${e.line}` : undefined, e.code, e.message].filter(Boolean).join(': '));
  return {
    id: job.id,
    status: STATUS[job.status] ?? 'running',
    providerStatus: job.status,
    counts: { total: counts.total, completed: counts.completed, failed: counts.failed },
    ...(tag !== undefined && { tag }),
    ...(errors && errors.length > 0 && { errors }),
  };
}

/** One line of an output or error file; undefined for a line that can't be read (its request then has no outcome, and is asked again). */
export function readOutputLine(line: string): BatchLineOutcome | undefined {
  let parsed: OutputLine;
  try {
    parsed = JSON.parse(line) as OutputLine;
  } catch {
    return undefined;
  }
  const id = parsed?.custom_id;
  if (typeof id !== 'string') return undefined;
  if (parsed.error) {
    const reason = parsed.error.code === 'batch_expired' ? 'expired' : parsed.error.code === 'batch_cancelled' ? 'cancelled' : 'error';
    return { id, ok: false, reason, error: new ModelCallError(parsed.error.message ?? `the request failed: ${parsed.error.code ?? 'no reason given'}`, { kind: 'http' }) };
  }
  const response = parsed.response;
  if (!response || typeof response.status_code !== 'number') return undefined;
  if (response.status_code !== 200) return { id, ok: false, reason: 'error', error: lineError(response.status_code, response.body, response.request_id) };
  const completion = response.body as ChatCompletionBody | undefined;
  const choice = completion?.choices?.[0];
  const result: CompletionResponse = { text: choice?.message?.content ?? '' };
  if (choice?.finish_reason) result.finishReason = choice.finish_reason;
  const usage = openAIUsage(completion?.usage);
  if (usage) result.usage = usage;
  return { id, ok: true, response: result };
}

/** A line's error status → the same `ModelCallError` a live request with that answer gets. */
function lineError(status: number, body: unknown, requestId?: string): ModelCallError {
  const info = (body as { error?: { message?: string; code?: string | null } } | undefined)?.error ?? {};
  const message = info.message ?? `the request failed with HTTP ${status}`;
  const init = { status, requestId, cause: { code: info.code ?? undefined } };
  if (status === 429) return new ModelCallError(message, { ...init, kind: 'rate_limited' });
  if ((status === 400 || status === 413) && (info.code === 'context_length_exceeded' || /context[_ ]length|maximum context/i.test(message))) {
    return new ModelCallError(message, { ...init, kind: 'context_length' });
  }
  return new ModelCallError(message, { ...init, kind: 'http' });
}

interface OutputLine {
  custom_id?: unknown;
  response?: { status_code?: number; request_id?: string; body?: unknown } | null;
  error?: { code?: string; message?: string } | null;
}

interface ChatCompletionBody {
  choices?: Array<{ message?: { content?: string | null }; finish_reason?: string | null }>;
  usage?: unknown;
}
