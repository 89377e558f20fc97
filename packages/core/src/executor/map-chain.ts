/**
 * `mapChain`: a multi-step chain run over every item of a list, a bounded
 * number of items at a time (AIchain's Pool), with a result per item.
 */
import type { ChatMessage, Model } from '../model/model.js';
import type { PredictOptions } from '../config/options.js';
import { recordText } from '../prompt/record-text.js';
import { SharedBatchRun } from './batch-step.js';
import { TaskEngine, checkPositiveInt, type Outcome } from './task-engine.js';
import type { ExecutorOptions, LlmTask, TaskErrorInfo, TaskResult } from './task-types.js';

/** What a step's runner is given besides its input. */
export interface StepContext<T> {
  item: T;
  /** The item's position in the list. */
  index: number;
  /** Outputs of the steps before this one, by output key. */
  outputs: Readonly<Record<string, unknown>>;
  signal: AbortSignal;
}

/** A plain function step, sync or async; a throw fails the item with code `failed`. */
export type StepFunction<T> = (input: any, context: StepContext<T>) => unknown;

/**
 * An LLM call per item. A function `prompt` builds the user message from the
 * step's input; a string `prompt` is an instruction the input follows (strings
 * as they are, anything else as JSON).
 */
export interface LlmStep<T> extends Omit<LlmTask<unknown>, 'prompt' | 'messages' | 'run'> {
  prompt?: string | ((input: any, context: StepContext<T>) => string);
  messages?: readonly ChatMessage[] | ((input: any, context: StepContext<T>) => readonly ChatMessage[]);
}

/**
 * The step's inputs for all items go through ONE shared `mlPredict` run, so like
 * prompts from many items are batched into the same requests. The options are
 * the operator's (`instruction`, `valueField`, `batchSize`, `batchTimeoutMs`, …);
 * results are matched back to items by `seq`.
 */
export interface BatchStep {
  batch: { model?: Model; options?: PredictOptions };
}

export interface ChainStep<T> {
  /** The step's name, in events and `failedStep`; its output key unless `outputKey` says otherwise. */
  name: string;
  outputKey?: string;
  /** The step's input from the item and earlier outputs. @default the item for the first step, the previous step's output after */
  input?: (item: T, outputs: Readonly<Record<string, unknown>>) => unknown;
  run: StepFunction<T> | LlmStep<T> | BatchStep;
  /** For a function step: hold a slot of the chain's model while it runs (see `FunctionTask.modelSlot`). @default true */
  modelSlot?: boolean;
}

export interface MapChainOptions extends ExecutorOptions {
  /** Items in flight at once (each runs its steps in order). @default 8 */
  maxFlows?: number;
  /** The model for LLM and batch steps that name none; function steps hold its slots. */
  model?: Model;
  onItemStart?: (event: { index: number }) => void;
  onItemEnd?: (result: ChainItemResult) => void;
}

interface ChainItemBase<T> {
  index: number;
  item: T;
  /** Every step's output that was produced, by output key (all of them when completed). */
  outputs: Record<string, unknown>;
  /** Each step that ran, in order (the failed one last). */
  steps: TaskResult[];
  durationMs: number;
}

/** An item that went through every step. */
export interface ChainItemCompleted<T = unknown> extends ChainItemBase<T> {
  ok: true;
  failedStep?: undefined;
  error?: undefined;
}

/** An item stopped by a failing step (or a cancelled run). */
export interface ChainItemFailed<T = unknown> extends ChainItemBase<T> {
  ok: false;
  /** The step that failed (or was about to start when the run was cancelled). */
  failedStep: string;
  error: TaskErrorInfo;
}

/** One item's outcome, told apart by `ok` (as every result of mlpredict is). */
export type ChainItemResult<T = unknown> = ChainItemCompleted<T> | ChainItemFailed<T>;

/** The chain's settings a batch step inherits (under its own options). */
const POLICY_KEYS = ['maxRetries', 'retry', 'requestTimeoutMs', 'requestsPerMinute', 'tokensPerMinute', 'onRequest', 'onRetry', 'onRateLimit', 'stats'] as const;

/**
 * Runs `steps` over each item, at most `maxFlows` items at a time, and resolves
 * with one {@link ChainItemResult} per item, in input order.
 *
 * Use it to push a list through a fetch → extract → summarise pipeline where
 * each item's steps depend on each other but items don't. A step is a function,
 * an LLM call whose prompt is built from the item and earlier outputs, or a batch
 * step that sends that step's inputs for ALL items through one shared `mlPredict`
 * run. A failing step fails its item only (the others go on); `signal` cancels
 * everything. Every request goes through the model's shared limits.
 *
 * @example
 * import { openAIModel } from '@mlpredict/core';
 * import { mapChain } from '@mlpredict/core/executor';
 *
 * const model = openAIModel({ model: 'gpt-4o-mini', maxConcurrency: 8 });
 * const results = await mapChain(['https://example.com/a', 'https://example.com/b'], [
 *   { name: 'page', run: async (url: string, { signal }) => (await fetch(url, { signal })).text() },
 *   { name: 'summary', run: { prompt: (page: string) => `Summarise in one sentence:\n${page.slice(0, 4000)}` } },
 *   { name: 'sentiment', input: (_url, out) => out.summary, run: { batch: { options: { valueField: 'sentiment' } } } },
 * ], { model, maxFlows: 5 });
 * for (const r of results) console.log(r.index, r.ok, r.ok ? r.outputs.sentiment : `${r.failedStep}: ${r.error?.message}`);
 *
 * @param items the list; results come back in its order
 * @param steps the chain each item runs through, in order
 * @param options `maxFlows`, `model`, call settings, `signal`, hooks
 * @returns one result per item, in input order
 * @see runTasks, runSequence, mlPredict
 */
export async function mapChain<T>(items: readonly T[], steps: readonly ChainStep<T>[], options: MapChainOptions = {}): Promise<ChainItemResult<T>[]> {
  checkPositiveInt('mapChain', 'maxFlows', options.maxFlows);
  const engine = new TaskEngine(options.model, options, 'mapChain');
  const feeds = new Map<number, SharedBatchRun>();
  try {
    checkSteps(steps, engine);
    const policyOptions = Object.fromEntries(POLICY_KEYS.filter((k) => options[k] !== undefined).map((k) => [k, options[k]])) as PredictOptions;
    steps.forEach((step, s) => {
      if (isBatchStep(step.run)) {
        const { model = options.model!, options: batchOptions = {} } = step.run.batch;
        feeds.set(s, new SharedBatchRun(model, { ...policyOptions, ...batchOptions }, items.length, engine.signal));
      }
    });
  } catch (error) {
    for (const feed of feeds.values()) feed.close();
    engine.finish();
    throw error;
  }

  const maxFlows = options.maxFlows ?? 8;
  const results: ChainItemResult<T>[] = new Array(items.length);
  let next = 0;
  const chain: ChainState<T> = {
    steps,
    engine,
    feeds,
    options,
    active: 0,
    stalled() {
      // No flow can start (all slots taken, or no item left) and every item in flight
      // waits on a batch step: nothing more will arrive there until one answers.
      if (chain.active === 0 || (chain.active < maxFlows && next < items.length)) return;
      let waiting = 0;
      for (const feed of feeds.values()) waiting += feed.waiting;
      if (waiting === chain.active) for (const feed of feeds.values()) feed.flush();
    },
  };
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await runItem(index, items[index]!, chain);
    }
    // One flow fewer from now on: those left may all be waiting on a batch.
    chain.stalled();
  };
  await Promise.all(Array.from({ length: Math.min(maxFlows, items.length) }, worker));
  for (const feed of feeds.values()) feed.close();
  engine.finish();
  return results;
}

/** What every flow of one `mapChain` call shares. */
interface ChainState<T> {
  steps: readonly ChainStep<T>[];
  engine: TaskEngine;
  /** The shared batch pipeline of each batch step, by step position. */
  feeds: Map<number, SharedBatchRun>;
  options: MapChainOptions;
  /** Items in flight. */
  active: number;
  /** Called when an item starts waiting on a batch step, and when a flow ends for good. */
  stalled(): void;
}

async function runItem<T>(index: number, item: T, chain: ChainState<T>): Promise<ChainItemResult<T>> {
  const { steps, engine, feeds, options } = chain;
  chain.active++;
  const started = Date.now();
  const outputs: Record<string, unknown> = {};
  const done: TaskResult[] = [];
  const asked = new Set<number>();
  let failure: { step: string; error: TaskErrorInfo } | undefined;

  if (!engine.signal.aborted) engine.report(options.onItemStart, { index });
  for (const [s, step] of steps.entries()) {
    if (engine.signal.aborted) {
      failure = { step: step.name, error: { code: 'aborted', message: 'the run was cancelled before this step started', attempts: 0 } };
      break;
    }
    let input: unknown;
    try {
      input = step.input ? step.input(item, outputs) : s === 0 ? item : outputs[outputKey(steps[s - 1]!)];
    } catch (error) {
      failure = { step: step.name, error: { code: 'failed', message: `input threw: ${error instanceof Error ? error.message : String(error)}`, attempts: 0, cause: error } };
      break;
    }
    const context: StepContext<T> = { item, index, outputs: { ...outputs }, signal: engine.signal };
    const result = await engine.timed(step.name, s, index, () => runStep(s, step, input, context, chain, asked));
    done.push(result);
    if (!result.ok) {
      failure = { step: step.name, error: result.error };
      break;
    }
    outputs[outputKey(step)] = result.value;
  }
  // A shared batch pipeline sends its last batch once every item has arrived or passed.
  for (const [s, feed] of feeds) if (!asked.has(s)) feed.pass();
  chain.active--;

  const end: ChainItemResult<T> = failure
    ? { index, item, ok: false, outputs, failedStep: failure.step, error: failure.error, steps: done, durationMs: Date.now() - started }
    : { index, item, ok: true, outputs, steps: done, durationMs: Date.now() - started };
  engine.report(options.onItemEnd as ((result: ChainItemResult<T>) => void) | undefined, end);
  return end;
}

function runStep<T>(
  s: number,
  step: ChainStep<T>,
  input: unknown,
  context: StepContext<T>,
  chain: ChainState<T>,
  asked: Set<number>,
): Promise<Outcome> {
  const { engine } = chain;
  const run = step.run;
  if (typeof run === 'function') return engine.callFunction((signal) => run(input, { ...context, signal }), { tag: step.name, previous: [] }, { modelSlot: step.modelSlot });
  if (isBatchStep(run)) {
    asked.add(s);
    const answer = chain.feeds.get(s)!.ask(input);
    chain.stalled();
    // The batch run stopped on an error that cannot heal: the chain's LLM steps on that model stop too.
    const model = run.batch.model ?? chain.options.model!;
    return answer.then((outcome) => (!outcome.ok && outcome.error.fatal && engine.stopModel(model, outcome.error), outcome));
  }
  let messages: ChatMessage[];
  try {
    messages = engine.messagesOf(llmTaskOf(run, input, context));
  } catch (error) {
    return Promise.resolve({ ok: false, error: { code: 'failed', message: `prompt threw: ${error instanceof Error ? error.message : String(error)}`, attempts: 0, cause: error }, attempts: 0 });
  }
  return engine.callLlm(s, run as LlmTask<unknown>, messages);
}

/** The step as a plain task for this item: its prompt and messages built from the input. */
function llmTaskOf<T>(run: LlmStep<T>, input: unknown, context: StepContext<T>): LlmTask<unknown> {
  const messages = typeof run.messages === 'function' ? run.messages(input, context) : run.messages;
  let prompt: string | undefined;
  if (typeof run.prompt === 'function') prompt = run.prompt(input, context);
  else if (run.prompt !== undefined) prompt = input === undefined ? run.prompt : `${run.prompt}\n\n${recordText(input, {})}`;
  return { ...run, messages, prompt } as LlmTask<unknown>;
}

function outputKey(step: { name: string; outputKey?: string }): string {
  return step.outputKey ?? step.name;
}

function isBatchStep(run: unknown): run is BatchStep {
  return typeof run === 'object' && run !== null && 'batch' in run;
}

/** Throws a TypeError naming the first bad step. */
function checkSteps<T>(steps: readonly ChainStep<T>[], engine: TaskEngine): void {
  if (!Array.isArray(steps) || steps.length === 0) throw new TypeError('mapChain: expected a non-empty array of steps');
  const keys = new Set<string>();
  steps.forEach((step, s) => {
    const where = `mapChain: step ${s}${typeof step?.name === 'string' ? ` ("${step.name}")` : ''}`;
    if (typeof step !== 'object' || step === null || typeof step.name !== 'string' || step.name === '') throw new TypeError(`${where}: expected { name, run }`);
    const key = outputKey(step);
    if (keys.has(key)) throw new TypeError(`${where}: output key "${key}" is used by an earlier step`);
    keys.add(key);
    if (step.input !== undefined && typeof step.input !== 'function') throw new TypeError(`${where}: "input" must be a function (item, outputs) => input`);
    const run = step.run;
    if (typeof run === 'function') return;
    if (typeof run !== 'object' || run === null) throw new TypeError(`${where}: "run" must be a function, an LLM step ({ prompt | messages }) or { batch }`);
    if (isBatchStep(run)) {
      if (!(run.batch?.model ?? engine.model)) throw new TypeError(`${where}: no model for the batch step (give batch.model, or the chain a model)`);
      return;
    }
    if (run.prompt === undefined && run.messages === undefined) throw new TypeError(`${where}: an LLM step needs prompt or messages`);
    const model = run.model ?? engine.model;
    if (!model) throw new TypeError(`${where}: no model (give the step a model, or the chain one)`);
    engine.checkTask(step.name, { ...run, prompt: '', messages: [] }, model);
  });
}
