/**
 * From a chat request to the text a model would answer: read the batch prompt,
 * label each record, write the answer in the asked shape, inject the drawn
 * defects. The simulator and `ruleModel` both answer through this.
 */
import { recordAccuracy, type AccuracyCurve } from './accuracy-curve.js';
import { answerWithDefects, differentValue, plainAnswerWithDefects, type DefectiveAnswer, type DefectRates } from './answer-defects.js';
import { valueText } from './answer-writing.js';
import { readBatchPrompt, userMessageOf, type MessageLike } from './prompt-reading.js';
import type { SeededRandom } from './seeded-random.js';

/** Answers one record: its text and the index the prompt gave it. */
export type Labeler = (text: string, index: number) => unknown;

/** The structured-output request, in OpenAI's wire form or mlpredict's `ResponseShape`. */
export interface ResponseFormatLike {
  type: string;
  schema?: unknown;
  json_schema?: { schema?: unknown };
}

/** What a chat request gets back, and how many records it carried (0 for a plain request). */
export interface ChatAnswer {
  answer: DefectiveAnswer;
  recordCount: number;
  /** Records the accuracy curve answered wrongly on purpose (0 without one). */
  wrongAnswers: number;
}

/** An accuracy curve and the random stream its draws come from. */
export interface AccuracyDraws {
  curve: AccuracyCurve;
  random: SeededRandom;
}

/**
 * @example
 * answerChat([{ role: 'user', content: 'Input 1: "Great"\nReturn [{"index": n, "sentiment": "..."}]' }], undefined, sentimentOf, {}, new SeededRandom(1));
 * // → { recordCount: 1, wrongAnswers: 0, answer: { kind: 'text', text: '[{"index":1,"sentiment":"positive"}]', finishReason: 'stop', applied: [] } }
 * // With an accuracy curve, each record is answered wrongly with probability 1 − accuracy(batch size, position):
 * answerChat(messages, undefined, sentimentOf, {}, random, { curve: { atBatchSize1: 0.9 }, random: streamFor(1, 'accuracy') });
 */
export function answerChat(
  messages: readonly MessageLike[],
  responseFormat: ResponseFormatLike | undefined,
  label: Labeler,
  rates: DefectRates,
  random: SeededRandom,
  accuracy?: AccuracyDraws,
): ChatAnswer {
  const user = userMessageOf(messages);
  const prompt = readBatchPrompt(user);
  if (prompt === undefined) {
    // A plain request is a prompt of one record.
    const [value, wrong] = withAccuracy(label(user, 0), 1, 0, accuracy);
    return { recordCount: 0, wrongAnswers: wrong ? 1 : 0, answer: plainAnswerWithDefects(valueText(value), rates, random) };
  }
  const structured = structuredShape(responseFormat);
  const fields = !prompt.fieldsStated && structured.fields ? structured.fields : prompt;
  let wrongAnswers = 0;
  const items = prompt.records.map((record, position) => {
    const [value, wrong] = withAccuracy(label(record.text, record.index), prompt.records.length, position, accuracy);
    if (wrong) wrongAnswers++;
    return { index: record.index, value };
  });
  const shape = { layout: prompt.layout, indexField: fields.indexField, valueField: fields.valueField, wrapIn: structured.wrapIn };
  const indices = prompt.records.map((record) => record.index);
  return { recordCount: prompt.records.length, wrongAnswers, answer: answerWithDefects(items, indices, shape, rates, random) };
}

/**
 * The right value, or a different one with probability 1 − accuracy. One draw per
 * record whenever a curve is set, so a seed repeats.
 */
function withAccuracy(value: unknown, batchSize: number, position: number, accuracy: AccuracyDraws | undefined): [unknown, boolean] {
  if (accuracy === undefined) return [value, false];
  const wrong = accuracy.random.next() >= recordAccuracy(accuracy.curve, batchSize, position);
  return wrong ? [differentValue(value), true] : [value, false];
}

interface StructuredShape {
  /** The property a JSON-mode or object-rooted schema answer goes under. */
  wrapIn?: string;
  /** Field names from the schema's item properties, used when the prompt names none. */
  fields?: { indexField: string; valueField: string };
}

/**
 * JSON mode answers `{"results": [...]}`; a JSON schema answers its shape: the
 * array itself, or the array under the root object's (first array) property.
 */
function structuredShape(format: ResponseFormatLike | undefined): StructuredShape {
  if (format?.type === 'json_object') return { wrapIn: 'results' };
  if (format?.type !== 'json_schema') return {};
  const schema = asRecord(format.json_schema?.schema ?? format.schema);
  if (schema === undefined) return {};
  const properties = asRecord(schema.properties);
  if (schema.type === 'array' || properties === undefined) return { fields: itemFields(schema.items) };
  const names = Object.keys(properties);
  const wrapIn = names.find((name) => asRecord(properties[name])?.type === 'array') ?? names[0];
  return { wrapIn, fields: wrapIn === undefined ? undefined : itemFields(asRecord(properties[wrapIn])?.items) };
}

function itemFields(items: unknown): StructuredShape['fields'] {
  const names = Object.keys(asRecord(asRecord(items)?.properties) ?? {});
  return names.length >= 2 ? { indexField: names[0]!, valueField: names[1]! } : undefined;
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}
