/**
 * One request for a group of records: render, call (through the retry owner),
 * read the answer in the run's response format, and match it to the records by
 * index. What comes back says, per position, the value or why there is none.
 */
import type { TokenUsage } from '../model/model.js';
import type { ModelCallError } from '../model/errors.js';
import type { ParseSettings } from '../config/run-settings.js';
import type { PromptSettings } from '../prompt/prompt-settings.js';
import { spendEstimate } from '../cost/spend-estimate.js';
import { estimateTokens, PER_RECORD_OVERHEAD_TOKENS } from '../batching/estimate-tokens.js';
import type { AnswerSample } from '../tuning/batch-size-tuner.js';
import { callModel, type CallPolicy } from '../resilience/call-model.js';
import { finiteUsage } from '../model/token-usage.js';
import { buildBatchRequest, readBatchAnswer } from './batch-request.js';

export interface AskContext {
  prompt: PromptSettings;
  parse: ParseSettings;
  policy: CallPolicy;
  batchId: number;
  signal: AbortSignal;
  /** Told what each request came back with (its size, its tokens, its answer's shape): the batch-size tuner. */
  observe?: (sample: AnswerSample) => void;
}

export type AskOutcome =
  | { ok: false; error: ModelCallError; attempts: number }
  | {
      ok: true;
      attempts: number;
      /** Position in the group → value. */
      values: Map<number, unknown>;
      missing: number[];
      /** Nothing in the answer could be read (as opposed to records left out). */
      unreadable: boolean;
      truncated: boolean;
      /** The answer was distrusted only for a missing first index: ask the rest without the first record. */
      firstInDoubt?: boolean;
      usage?: TokenUsage;
      warnings: string[];
    };

/**
 * @example
 * const outcome = await askOnce(items, ctx);
 * if (outcome.ok) outcome.values.get(0);
 */
export async function askOnce(records: ReadonlyArray<{ text: string; input: unknown }>, ctx: AskContext): Promise<AskOutcome> {
  const { parse } = ctx;
  const runtime = ctx.policy.runtime;
  const { request, mode } = buildBatchRequest(records, ctx.prompt, parse, runtime.structuredOutput);
  const shape = request.responseShape;
  const estimate = spendEstimate(request, records.length);
  const { promptTokens } = estimate;
  const tokens = promptTokens + (parse.maxTokens ?? 0);
  const outcome = await callModel(request, ctx.policy, { batchId: ctx.batchId, records: records.length, tokens, completionTokens: parse.maxTokens ?? 0, signal: ctx.signal, estimate });
  const sample = ctx.observe && { records: records.length, recordTokens: records.reduce((sum, r) => sum + estimateTokens(r.text) + PER_RECORD_OVERHEAD_TOKENS, 0), promptTokens };
  if (!outcome.ok) {
    // 'auto': an endpoint that refuses the shape is asked again with the next weaker one; the model's runtime remembers.
    if (parse.structuredOutput === 'auto' && shape && refusesShape(outcome.error)) {
      runtime.structuredOutput = mode === 'json_schema' ? 'json_object' : 'off';
      return askOnce(records, ctx);
    }
    if (sample && outcome.error.kind === 'context_length') ctx.observe!({ ...sample, outcome: 'overflow', answered: 0, message: outcome.error.message });
    return outcome;
  }

  const { response } = outcome;
  const usage = finiteUsage(response.usage);
  const read = readBatchAnswer(response, records.length, parse);
  if (sample) ctx.observe!({ ...sample, outcome: read.truncated ? 'truncated' : read.unreadable ? 'unreadable' : 'answered', answered: read.values.size });
  return { ok: true, attempts: outcome.attempts, ...read, ...(usage && { usage }) };
}

function refusesShape(error: ModelCallError): boolean {
  return error.kind === 'http' && (error.status === 400 || error.status === 422) && /response_format|json_schema|json_object|structured/i.test(error.message);
}
