/**
 * `runTasks`: tagged tasks — LLM calls and functions — run concurrently on one
 * model, each ending with its own result.
 */
import type { Model } from '../model/model.js';
import { ConcurrencyLimiter } from '../resilience/concurrency-limiter.js';
import { TaskEngine, checkPositiveInt, isFunctionTask } from './task-engine.js';
import type { ExecutorOptions, Task, TaskResult, TaskValue } from './task-types.js';

export interface RunTasksOptions extends ExecutorOptions {
  /**
   * Tasks in flight at once. The model's `limits.maxConcurrency` still bounds
   * requests across everything on the model, this run included; this bounds the
   * run alone (functions and retry waits included).
   * @default 8
   */
  concurrency?: number;
}

/** `runTasks`' answer: each tag's result, typed by its task. */
export type TaskResults<Tasks> = { [K in keyof Tasks]: TaskResult<TaskValue<Tasks[K]>> };

/**
 * Runs tagged tasks concurrently and resolves with every tag's {@link TaskResult},
 * in the tasks' key order whatever order they finish in.
 *
 * Use it for a handful of independent calls — a question, its distractors, a
 * lookup — rather than a stream of like records (that is `mlPredict`'s job). A task
 * is an LLM call (`messages` / `prompt`, with per-task `temperature`, `model`,
 * `retry`, `parse`) or a function (`run`, sync or async). One task's failure never
 * cancels another; `signal` cancels them all. Every request goes through the
 * model's shared gate, buckets and `maxConcurrency`, like the operators' do, and a
 * function holds one of the model's slots while it runs, so pipelines and task
 * runs on one model never together exceed its limit. It never rejects, but for a
 * bad option or task (a `TypeError` naming it, before anything starts) or a hook
 * that threw.
 *
 * @example
 * import { openAIModel } from '@mlpredict/core';
 * import { runTasks } from '@mlpredict/core/executor';
 *
 * const model = openAIModel({ model: 'gpt-4o-mini', maxConcurrency: 4 });
 * const r = await runTasks(model, {
 *   question: { prompt: 'Write a one-line biology quiz question.', temperature: 0.9 },
 *   level: { prompt: 'Rate "mitosis" 1-5 for difficulty. Digits only.', parse: Number },
 *   today: { run: () => new Date().toISOString().slice(0, 10) },
 * });
 * if (r.question.ok) console.log(r.question.value, r.level.value, r.today.value);
 * else console.error(r.question.error.code, r.question.error.message);
 *
 * @param model the model LLM tasks use unless they name their own; function tasks hold its slots
 * @param tasks tag → task
 * @param options call settings (as the operators'), `concurrency`, `signal`, hooks
 * @returns tag → result, in key order
 * @see runSequence, mapChain
 */
export async function runTasks<const Tasks extends Record<string, Task<any>>>(
  model: Model,
  tasks: Tasks,
  options: RunTasksOptions = {},
): Promise<TaskResults<Tasks>> {
  checkPositiveInt('runTasks', 'concurrency', options.concurrency);
  const engine = new TaskEngine(model, options, 'runTasks');
  const entries = Object.entries(tasks) as Array<[string, Task<unknown>]>;
  try {
    for (const [tag, task] of entries) engine.checkTask(tag, task);
  } catch (error) {
    engine.finish();
    throw error;
  }

  const slots = new ConcurrencyLimiter(options.concurrency ?? 8);
  const results = await Promise.all(
    entries.map(async ([tag, task], index): Promise<TaskResult> => {
      let release: () => void;
      try {
        release = await slots.acquire(engine.signal);
      } catch {
        return engine.notStarted(tag, index, undefined, 'aborted', 'the run was cancelled before this task started');
      }
      try {
        return await engine.timed(tag, index, undefined, () =>
          isFunctionTask(task)
            ? engine.callFunction(task.run, { tag, previous: [] }, task)
            : engine.callLlm(index, task, engine.messagesOf(task)),
        );
      } finally {
        release();
      }
    }),
  );
  engine.finish();
  return Object.fromEntries(entries.map(([tag], i) => [tag, results[i]!])) as TaskResults<Tasks>;
}
