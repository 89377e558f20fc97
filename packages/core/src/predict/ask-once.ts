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
import { callModel, type CallPolicy } from '../resilience/call-model.js';
import { finiteUsage } from '../model/token-usage.js';
import { buildBatchRequest, readBatchAnswer } from './batch-request.js';

export interface AskContext {
  prompt: PromptSettings;
  parse: ParseSettings;
  policy: CallPolicy;
  batchId: number;
  signal: AbortSignal;
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
  const tokens = estimate.promptTokens + (parse.maxTokens ?? 0);
  const outcome = await callModel(request, ctx.policy, { batchId: ctx.batchId, records: records.length, tokens, signal: ctx.signal, estimate });
  if (!outcome.ok) {
    // 'auto': an endpoint that refuses the shape is asked again with the next weaker one; the model's runtime remembers.
    if (parse.structuredOutput === 'auto' && shape && refusesShape(outcome.error)) {
      runtime.structuredOutput = mode === 'json_schema' ? 'json_object' : 'off';
      return askOnce(records, ctx);
    }
    return outcome;
  }

  const { response } = outcome;
  const usage = finiteUsage(response.usage);
  return { ok: true, attempts: outcome.attempts, ...readBatchAnswer(response, records.length, parse), ...(usage && { usage }) };
}

function refusesShape(error: ModelCallError): boolean {
  return error.kind === 'http' && (error.status === 400 || error.status === 422) && /response_format|json_schema|json_object|structured/i.test(error.message);
}
