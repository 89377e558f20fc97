/**
 * What the simulator saw and did, as one live object: read it any time, during
 * or after a run.
 */
export interface SimulatorStats {
  /** Every HTTP request, whatever its path or outcome. */
  requests: number;
  /** `POST /v1/chat/completions` requests, refused ones included. */
  chatRequests: number;
  /** `POST /v1/embeddings` requests, refused ones included. */
  embeddingRequests: number;
  /** Records in the batch prompts of chat requests that were let in (not refused with a 429). */
  recordsSeen: number;
  /** Responses by HTTP status. */
  byStatus: Record<number, number>;
  /** 429s sent, whatever the reason (rate limit, maxInFlight, the rateLimit fault). */
  rateLimited: number;
  /** Requests admitted and not yet answered (hangs included). */
  inFlight: number;
  /** The most `inFlight` has been. */
  peakInFlight: number;
  /** Tokens of answered requests (chat and embeddings), by ceil(chars / 4). */
  promptTokens: number;
  completionTokens: number;
  /** The part of `promptTokens` reported as served from the prompt cache (the `promptCache` option). */
  cachedPromptTokens: number;
  /** How often each defect reached a client. */
  defects: Record<string, number>;
  /** How often each fault was injected. */
  faults: Record<string, number>;
  /** Requests whose client went away before an answer. */
  aborted: number;
  /** Chat requests refused with a 400 `context_length_exceeded` (batch lines included). */
  contextExceeded: number;
  /** Records the `accuracy` curve answered wrongly on purpose (batch lines included). */
  wrongAnswers: number;
  /** Files uploaded to `POST /v1/files`. */
  filesUploaded: number;
  /** Batches created (`POST /v1/batches`), and cancelled (`POST /v1/batches/:id/cancel`). */
  batchesCreated: number;
  batchesCancelled: number;
  /** Batch lines answered with a 200 (they go to the output file). */
  batchLinesAnswered: number;
  /** Batch lines answered with an error status (the error file): `failedLineRate`, bad requests, `serverError`. */
  batchLinesFailed: number;
  /** Batch lines never run: the job expired (`batch_expired`) or was cancelled (`batch_cancelled`). */
  batchLinesExpired: number;
  batchLinesCancelled: number;
  /** Tokens of batch lines answered with a 200 (kept apart from the real-time `promptTokens`). */
  batchPromptTokens: number;
  batchCompletionTokens: number;
}

/**
 * @example
 * const stats = emptyStats(); // every counter 0
 */
export function emptyStats(): SimulatorStats {
  return {
    requests: 0,
    chatRequests: 0,
    embeddingRequests: 0,
    recordsSeen: 0,
    byStatus: {},
    rateLimited: 0,
    inFlight: 0,
    peakInFlight: 0,
    promptTokens: 0,
    completionTokens: 0,
    cachedPromptTokens: 0,
    defects: {},
    faults: {},
    aborted: 0,
    contextExceeded: 0,
    wrongAnswers: 0,
    filesUploaded: 0,
    batchesCreated: 0,
    batchesCancelled: 0,
    batchLinesAnswered: 0,
    batchLinesFailed: 0,
    batchLinesExpired: 0,
    batchLinesCancelled: 0,
    batchPromptTokens: 0,
    batchCompletionTokens: 0,
  };
}

/**
 * Adds one to a named counter.
 *
 * @example
 * countUp(stats.byStatus, 429); // stats.byStatus[429] goes from undefined to 1
 */
export function countUp(counters: Record<string | number, number>, key: string | number): void {
  counters[key] = (counters[key] ?? 0) + 1;
}
