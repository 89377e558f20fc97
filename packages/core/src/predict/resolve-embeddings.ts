/**
 * The batch resolver for embeddings: one `Model.embed` request per batch through
 * the retry owner, vectors matched to inputs by position (the embeddings API
 * guarantees its order), a context overflow halved down to the input that
 * doesn't fit.
 */
import type { EmbeddingResponse, Model } from '../model/model.js';
import { isFatal, type ModelCallError } from '../model/errors.js';
import { callWithPolicy, type CallPolicy } from '../resilience/call-model.js';
import type { BatchReport, BatchResolver } from './resolve-batch.js';
import { settleAborted, settleAll, settleCallFailure, viaOf, type Settle } from './settle-failure.js';
import type { WorkItem } from './work-item.js';

/**
 * @example
 * const resolve = embeddingResolver(model, policy);
 */
export function embeddingResolver(model: Model & Required<Pick<Model, 'embed'>>, policy: CallPolicy): BatchResolver {
  return async (items, batchId, run) => {
    const report: BatchReport = { requests: 0, warnings: [], promptTokens: 0, completionTokens: 0 };
    await send(items, { model, policy, batchId, signal: run.signal, settle: run.settle, stop: run.stop, report });
    return report;
  };
}

interface SendContext {
  model: Model & Required<Pick<Model, 'embed'>>;
  policy: CallPolicy;
  batchId: number;
  signal: AbortSignal;
  settle: Settle;
  stop(error: ModelCallError): void;
  report: BatchReport;
}

async function send(items: WorkItem[], ctx: SendContext): Promise<void> {
  if (items.length === 0) return;
  if (ctx.signal.aborted) return settleAborted(items, ctx.signal, ctx.settle);
  const inputs = items.map((i) => i.text);
  const tokens = items.reduce((sum, i) => sum + i.tokens, 0);
  const outcome = await callWithPolicy((attemptSignal) => ctx.model.embed({ inputs, signal: attemptSignal }), ctx.policy, {
    batchId: ctx.batchId,
    records: items.length,
    tokens,
    signal: ctx.signal,
    // Embeddings have no completion to pay for.
    estimate: { promptTokens: tokens, maxCompletionTokens: 0, records: items.length },
  });
  ctx.report.requests += outcome.attempts;
  for (const item of items) item.attempts += outcome.attempts;
  if (outcome.ok) return settleVectors(items, outcome.response, ctx);
  const { error } = outcome;
  if (isFatal(error)) {
    ctx.stop(error);
    return settleAborted(items, ctx.signal, ctx.settle);
  }
  if (error.kind !== 'context_length') return settleCallFailure(items, error, ctx.signal, ctx.settle);
  if (items.length === 1) return settleAll(items, 'too_large', `the record alone is too long for the model: ${error.message}`, ctx.settle);
  // One input too long fails the whole request: halve until it stands alone.
  for (const item of items) item.repairs++;
  const middle = Math.ceil(items.length / 2);
  await send(items.slice(0, middle), ctx);
  await send(items.slice(middle), ctx);
}

function settleVectors(items: WorkItem[], response: EmbeddingResponse, ctx: SendContext): void {
  const vectors = response.embeddings;
  if (!Array.isArray(vectors) || vectors.length !== items.length) {
    const got = Array.isArray(vectors) ? vectors.length : 'no';
    return settleAll(items, 'parse', `the model returned ${got} vectors for ${items.length} inputs, so none can be matched to its input`, ctx.settle);
  }
  if (response.usage) {
    ctx.report.promptTokens += response.usage.promptTokens;
    ctx.report.completionTokens += response.usage.completionTokens;
  }
  const via = viaOf(items);
  const usage = response.usage && { promptTokens: response.usage.promptTokens / items.length, completionTokens: response.usage.completionTokens / items.length };
  items.forEach((item, i) => {
    const vector = vectors[i];
    if (!Array.isArray(vector) || vector.length === 0 || !vector.every((x) => typeof x === 'number' && Number.isFinite(x))) {
      return ctx.settle(item, { error: { code: 'parse', message: 'the model returned no usable vector (expected a non-empty array of finite numbers)' }, via });
    }
    ctx.settle(item, { value: vector, via, ...(usage && { usage }) });
  });
}
