/**
 * `runSequence`: tasks one after another, optionally as one conversation.
 */
import type { ChatMessage, Model } from '../model/model.js';
import { TaskEngine, isFunctionTask } from './task-engine.js';
import type { ExecutorOptions, Task, TaskResult } from './task-types.js';

/** A step of a sequence: any task, with an optional tag (its position otherwise). */
export type SequenceTask<V = unknown> = Task<V> & { tag?: string };

export interface RunSequenceOptions extends ExecutorOptions {
  /**
   * Carry the conversation forward: each LLM step sees the steps before it —
   * their messages, each answer as an assistant message — and then its own
   * messages and prompt (as a user message). A step's own system message
   * replaces the conversation's. Function steps add nothing to the
   * conversation; they get the results so far as `context.previous`.
   * @default false
   */
  passResult?: boolean;
}

/**
 * Runs tasks in order, one at a time, and resolves with their results in
 * execution order. The first failure stops the chain: that step's result
 * carries the reason and every later step ends `skipped`.
 *
 * Use it for "generate, then improve" chains where each step builds on the
 * last. Each request still goes through the model's shared limits and the retry
 * owner; `signal` cancels the step in flight and the rest end `aborted`.
 *
 * @example
 * import { openAIModel } from '@mlpredict/core';
 * import { runSequence } from '@mlpredict/core/executor';
 *
 * const steps = await runSequence(openAIModel({ model: 'gpt-4o-mini' }), [
 *   { tag: 'draft', system: 'You write quiz questions.', prompt: 'Write a question about photosynthesis.' },
 *   { tag: 'improve', prompt: 'Make it harder, keep it one line.' },
 *   { tag: 'answer', prompt: 'Now answer it in one word.' },
 * ], { passResult: true });
 * const last = steps.at(-1)!;
 * console.log(last.ok ? last.value : `${last.tag}: ${last.error.code}`);
 *
 * @param model the model LLM steps use unless they name their own
 * @param tasks the steps, in order
 * @param options `passResult`, call settings, `signal`, hooks
 * @returns one result per step, in order
 * @see runTasks, mapChain
 */
export async function runSequence(model: Model, tasks: readonly SequenceTask<any>[], options: RunSequenceOptions = {}): Promise<TaskResult[]> {
  const engine = new TaskEngine(model, options, 'runSequence');
  const tags = tasks.map((task, i) => task?.tag ?? String(i));
  try {
    tasks.forEach((task, i) => engine.checkTask(tags[i]!, task));
  } catch (error) {
    engine.finish();
    throw error;
  }

  const results: TaskResult[] = [];
  let conversation: ChatMessage[] = [];
  let failed: TaskResult | undefined;
  for (const [index, task] of tasks.entries()) {
    const tag = tags[index]!;
    if (failed) {
      results.push(engine.notStarted(tag, index, undefined, 'skipped', `skipped: step "${failed.tag}" failed (${failed.error!.code})`));
      continue;
    }
    if (engine.signal.aborted) {
      results.push(engine.notStarted(tag, index, undefined, 'aborted', 'the run was cancelled before this step started'));
      continue;
    }
    let messages: ChatMessage[] = [];
    if (!isFunctionTask(task)) {
      const own = engine.messagesOf(task);
      messages = options.passResult ? continueConversation(conversation, own) : own;
    }
    const previous = [...results];
    const result = await engine.timed(tag, index, undefined, () =>
      isFunctionTask(task) ? engine.callFunction(task.run, { tag, previous }, task) : engine.callLlm(index, task, messages),
    );
    results.push(result);
    if (!result.ok) {
      // An abort is not the step's failure: later steps end aborted, not skipped.
      if (result.error.code !== 'aborted') failed = result;
      continue;
    }
    if (!isFunctionTask(task) && result.text !== undefined) conversation = [...messages, { role: 'assistant', content: result.text }];
  }
  engine.finish();
  return results;
}

/** The conversation so far, then the step's own messages; the step's system message, if any, replaces the old one. */
function continueConversation(conversation: readonly ChatMessage[], own: readonly ChatMessage[]): ChatMessage[] {
  const ownSystem = own.filter((m) => m.role === 'system');
  const system = ownSystem.length > 0 ? ownSystem : conversation.filter((m) => m.role === 'system');
  return [...system, ...conversation.filter((m) => m.role !== 'system'), ...own.filter((m) => m.role !== 'system')];
}
