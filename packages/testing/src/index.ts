/**
 * @mlpredict/testing — what mlpredict is tested and demoed against: an
 * OpenAI-compatible simulator server, fake models, and the deterministic
 * sentiment rule both answer with.
 */
// The simulator.
export { startSimulator, type Simulator } from './simulator/server.js';
export type { SimulatorOptions, SimulatorSettings } from './simulator/options.js';
export type { BatchSettings } from './simulator/batch-settings.js';
export type { PromptCacheSettings } from './simulator/prompt-cache.js';
export type { SimulatorStats } from './simulator/stats.js';
export type { RateLimit } from './simulator/rate-window.js';
export { FAULT_NAMES, type FaultRates, type FaultName } from './simulator/faults.js';
export { embeddingFor } from './simulator/embeddings.js';
export { formatResetDuration } from './simulator/reset-duration.js';

// Fake models.
export { ruleModel, type FakeModelOptions, type RecordingModel } from './fakes/rule-model.js';
export { scriptedModel, type ScriptStep, type ScriptedModel, type ScriptedModelOptions } from './fakes/scripted-model.js';
export { echoModel } from './fakes/echo-model.js';

// How both understand and answer prompts.
export { sentimentOf, type Sentiment } from './sentiment.js';
export { DEFECT_NAMES, differentValue, type DefectName, type DefectRates } from './answer-defects.js';
export { readBatchPrompt, userMessageOf, type BatchPrompt, type PromptRecord, type AnswerLayout } from './prompt-reading.js';
export { writeAnswer, type AnswerItem, type AnswerShape } from './answer-writing.js';
export { answerChat, type Labeler, type ChatAnswer, type AccuracyDraws } from './chat-answering.js';
export { expectedAccuracy, recordAccuracy, type AccuracyCurve } from './accuracy-curve.js';
export { estimateTokens } from './token-estimate.js';
export { SeededRandom } from './seeded-random.js';

// Record / replay.
export { withCassette, CassetteMissError, CASSETTE_MODES, CASSETTE_ENV, type CassetteMode, type CassetteOptions, type CassetteModel, type CassetteStats } from './cassette/with-cassette.js';
export type { CassetteData, RecordedContext, RecordedItem, RecordedPrompt, RecordedEmbedding } from './cassette/cassette-file.js';
// RxJS on virtual time.
export { marblePredict, coldMarbles, type MarblePredictOptions, type MarbleRun, type TimedResult } from './rx/marble-predict.js';
export { playVirtual, virtualLatency, type PlayVirtualOptions, type VirtualRun, type TimedValue, type VirtualLatency } from './rx/virtual-time.js';
export { memoryQueue, type MemoryQueue, type MemoryWrite } from './source/memory-queue.js';
export { freePort } from './free-port.js';
