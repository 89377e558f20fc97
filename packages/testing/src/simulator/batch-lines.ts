/**
 * Answers one Batch API line the way the live endpoint answers the same request:
 * the same chat answering (labels, answer defects, accuracy curve), the same
 * context window and checks, embeddings alike; plus the job's own failed lines.
 */
import type { AccuracyDraws } from '../chat-answering.js';
import { answerChat } from '../chat-answering.js';
import type { DefectRates } from '../answer-defects.js';
import type { MessageLike } from '../prompt-reading.js';
import { allMessageText } from '../prompt-reading.js';
import type { SeededRandom } from '../seeded-random.js';
import { estimateTokens } from '../token-estimate.js';
import type { BatchRequestLine } from './batch-input.js';
import { chatCompletionBody } from './chat-completion-body.js';
import { chatBodyError, requestedMaxTokens, responseFormatOf } from './chat-request.js';
import { contextLengthError } from './context-window.js';
import { embeddingFor, embeddingInputs } from './embeddings.js';
import type { OpenAIErrorInfo } from './exchange.js';
import { countUp, type SimulatorStats } from './stats.js';

/** The endpoints a simulated batch may target. */
export const BATCH_ENDPOINTS = ['/v1/chat/completions', '/v1/embeddings'] as const;
export type BatchEndpoint = (typeof BATCH_ENDPOINTS)[number];

/** What a line got: a status and the body the live endpoint would have sent. */
export interface LineOutcome {
  statusCode: number;
  body: unknown;
  promptTokens: number;
  completionTokens: number;
}

/** Everything a job answers its lines with, fixed when the job is created. */
export interface LineAnswering {
  endpoint: BatchEndpoint;
  label: (text: string) => unknown;
  defects: DefectRates;
  contextTokens: number | undefined;
  embeddingDimensions: number;
  maxEmbeddingInputs: number;
  failedLineRate: number;
  /** The job's own streams, so its answers don't depend on other traffic. */
  defectRandom: SeededRandom;
  failureRandom: SeededRandom;
  accuracy: AccuracyDraws | undefined;
  stats: SimulatorStats;
}

const SERVER_ERROR: OpenAIErrorInfo = { message: 'The server had an error while processing your request. Sorry about that!', type: 'server_error', code: 'server_error' };

/**
 * @example
 * const outcome = answerBatchLine({ customId: 'b1', body: { model: 'm', messages: [{ role: 'user', content: 'Input 1: "Great"' }] } }, 'chatcmpl-b1', answering);
 * outcome.statusCode; // → 200 (or 500 for a failed line)
 */
export function answerBatchLine(line: BatchRequestLine, completionId: string, answering: LineAnswering): LineOutcome {
  const { outcome, wrongAnswers = 0, defects = [] } = answering.endpoint === '/v1/embeddings' ? { outcome: answerEmbeddings(line.body, answering) } : answerChatLine(line.body, completionId, answering);
  // Drawn for every line, answered or not, so the rate moves no other draw.
  const failed = answering.failureRandom.chance(answering.failedLineRate);
  if (failed && outcome.statusCode === 200) return errorOutcome(500, SERVER_ERROR);
  // Counted only for answers that reach the output file, as for live answers.
  answering.stats.wrongAnswers += wrongAnswers;
  for (const name of defects) countUp(answering.stats.defects, name);
  return outcome;
}

/** A chat line's outcome, and what its answer holds on purpose. */
interface ChatLineResult {
  outcome: LineOutcome;
  wrongAnswers?: number;
  defects?: readonly string[];
}

function answerChatLine(body: Record<string, unknown>, completionId: string, answering: LineAnswering): ChatLineResult {
  const invalid = chatBodyError(body);
  if (invalid) return { outcome: errorOutcome(400, invalid) };
  const messages = body.messages as MessageLike[];
  const promptTokens = estimateTokens(allMessageText(messages));
  const overflow = contextLengthError(promptTokens, requestedMaxTokens(body), answering.contextTokens);
  if (overflow) {
    answering.stats.contextExceeded++;
    return { outcome: errorOutcome(400, overflow) };
  }
  const label = answering.label;
  const { answer, wrongAnswers } = answerChat(messages, responseFormatOf(body), (text) => label(text), answering.defects, answering.defectRandom, answering.accuracy);
  if (answer.kind === 'serverError') return { outcome: errorOutcome(500, SERVER_ERROR), defects: ['serverError'] };
  // A batch line answered 200 with an error object and no choices, as the live endpoint's defect does.
  if (answer.kind === 'errorObject') return { outcome: { statusCode: 200, body: { error: { message: 'The upstream model failed while generating a response.', type: 'upstream_error' } }, promptTokens, completionTokens: 0 }, defects: ['errorObject'] };
  const completionTokens = estimateTokens(answer.text);
  const completion = chatCompletionBody({ id: completionId, model: String(body.model), text: answer.text, finishReason: answer.finishReason, promptTokens, completionTokens, contentParts: answer.contentParts, garbageUsage: answer.garbageUsage });
  return { outcome: { statusCode: 200, body: completion, promptTokens, completionTokens }, wrongAnswers, defects: answer.applied };
}

function answerEmbeddings(body: Record<string, unknown>, answering: LineAnswering): LineOutcome {
  const inputs = embeddingInputs(body.input);
  if (inputs === undefined || inputs.length === 0) {
    return errorOutcome(400, { message: "'input' must be a non-empty string or array of strings.", type: 'invalid_request_error', code: 'invalid_value', param: 'input' });
  }
  if (inputs.length > answering.maxEmbeddingInputs) {
    return errorOutcome(400, {
      message: `'input' has ${inputs.length} items; at most ${answering.maxEmbeddingInputs} are allowed per request.`,
      type: 'invalid_request_error',
      code: 'too_many_inputs',
      param: 'input',
    });
  }
  const dimensions = Number.isInteger(body.dimensions) && (body.dimensions as number) > 0 ? (body.dimensions as number) : answering.embeddingDimensions;
  const base64 = body.encoding_format === 'base64';
  const promptTokens = inputs.reduce((sum, text) => sum + estimateTokens(text), 0);
  return {
    statusCode: 200,
    body: {
      object: 'list',
      data: inputs.map((text, index) => {
        const vector = embeddingFor(text, dimensions);
        return { object: 'embedding', index, embedding: base64 ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector };
      }),
      model: String(body.model),
      usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
    },
    promptTokens,
    completionTokens: 0,
  };
}

function errorOutcome(statusCode: number, error: OpenAIErrorInfo): LineOutcome {
  return { statusCode, body: { error: { param: null, ...error } }, promptTokens: 0, completionTokens: 0 };
}
