/**
 * One request for a group of records: render, call (through the retry owner),
 * read the answer in the run's response format, and match it to the records by
 * index. What comes back says, per position, the value or why there is none.
 */
import type { CompletionRequest, TokenUsage } from '../model/model.js';
import type { ModelCallError } from '../model/errors.js';
import type { StructuredOutputMode } from '../model/runtime.js';
import type { ParseSettings } from '../config/run-settings.js';
import type { PromptSettings } from '../prompt/prompt-settings.js';
import { renderMessages } from '../prompt/render-prompt.js';
import { estimateTokens } from '../batching/estimate-tokens.js';
import { callModel, type CallPolicy } from '../resilience/call-model.js';
import type { ReadAnswers } from '../formats/answers.js';
import { finiteUsage } from '../model/token-usage.js';
import { reconcile } from './reconcile.js';

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
  const messages = renderMessages(records, ctx.prompt);
  const runtime = ctx.policy.runtime;
  const mode: StructuredOutputMode = parse.structuredOutput === 'auto' ? (runtime.structuredOutput ?? 'json_schema') : parse.structuredOutput;
  const shape = mode === 'off' ? undefined : parse.format.answerShape?.(mode, { indexField: parse.read.indexField, valueField: parse.read.valueField, valueJsonSchema: parse.valueJsonSchema }, records.length);
  const request: Omit<CompletionRequest, 'signal'> = {
    messages,
    temperature: parse.temperature,
    ...(parse.maxTokens !== undefined && { maxTokens: parse.maxTokens }),
    ...(shape && { responseShape: shape }),
  };
  const tokens = messages.reduce((sum, m) => sum + estimateTokens(m.content), 0) + (parse.maxTokens ?? 0);
  const outcome = await callModel(request, ctx.policy, { batchId: ctx.batchId, records: records.length, tokens, signal: ctx.signal });
  if (!outcome.ok) {
    // 'auto': an endpoint that refuses the shape is asked again with the next weaker one; the model's runtime remembers.
    if (parse.structuredOutput === 'auto' && shape && refusesShape(outcome.error)) {
      runtime.structuredOutput = mode === 'json_schema' ? 'json_object' : 'off';
      return askOnce(records, ctx);
    }
    return outcome;
  }

  const { response } = outcome;
  const truncated = response.finishReason === 'length';
  const read = readAnswer(response.text, parse, truncated);
  const matched = reconcile(read.answers, records.length, parse.indexBase, read.partial || truncated);
  // A lone record's answer without an index: the reader offers one only when it is the entire reply.
  if (records.length === 1 && read.answers.length === 0 && read.unindexed !== undefined) {
    matched.values.set(0, read.unindexed);
    matched.missing = [];
  }
  const usage = finiteUsage(response.usage);
  return {
    ok: true,
    attempts: outcome.attempts,
    values: matched.values,
    missing: matched.missing,
    unreadable: matched.values.size === 0 && (read.unusable || truncated || matched.untrusted),
    truncated,
    ...(usage && { usage }),
    warnings: [...read.warnings, ...matched.warnings],
  };
}

/** The run's reader over the model's text; a reader that throws (or a text that isn't one) reads as nothing. */
function readAnswer(text: unknown, parse: ParseSettings, truncated: boolean): ReadAnswers {
  try {
    if (typeof text !== 'string') throw new TypeError(`the model's text is ${text === null ? 'null' : typeof text}, not a string`);
    return parse.format.read(text, { ...parse.read, truncated });
  } catch (error) {
    return { answers: [], partial: false, unusable: true, warnings: [`the answer could not be read: ${error instanceof Error ? error.message : String(error)}`] };
  }
}

function refusesShape(error: ModelCallError): boolean {
  return error.kind === 'http' && (error.status === 400 || error.status === 422) && /response_format|json_schema|json_object|structured/i.test(error.message);
}
