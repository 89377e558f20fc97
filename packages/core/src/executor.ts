/**
 * @mlpredict/core/executor — tagged tasks, sequential chains and pools over
 * lists, on the same engine as the operators: every request goes through the
 * model's runtime, so one quota governs operators and tasks alike.
 */
export { runTasks, type RunTasksOptions, type TaskResults } from './executor/run-tasks.js';
export { runSequence, type RunSequenceOptions, type SequenceTask } from './executor/run-sequence.js';
export {
  mapChain,
  type MapChainOptions,
  type ChainStep,
  type ChainItemResult,
  type ChainItemCompleted,
  type ChainItemFailed,
  type StepContext,
  type StepFunction,
  type LlmStep,
  type BatchStep,
} from './executor/map-chain.js';
export type * from './executor/task-types.js';
