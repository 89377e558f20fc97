/**
 * The ways real models (and the servers in front of them) get batch answers
 * wrong, injected on purpose and by seed. Every defect except `conflict` keeps the
 * values right, and `conflict` always leaves the right value in the answer too
 * (before the wrong one), so a careful client can always tell: the simulator never
 * lies silently — except with `positionBias`, opt-in, which gives the record shown
 * first a wrong answer the way position-biased models do, so that `votes` can be
 * measured against it.
 *
 * The opt-in lies about numbering (`shiftedIndices`, `insertedItem`) give values
 * to the wrong indices, but stay detectable: an index outside the prompt's, or
 * more items than records. `missing` and `truncate` leave such an answer alone, as
 * dropping items could hide the lie from any client. The same care keeps the
 * honest `wrongIndexBase` detectable: its give-away index is never dropped, and
 * comes first in an answer that is cut.
 */
import type { AnswerItem, AnswerShape } from './answer-writing.js';
import { writeAnswer } from './answer-writing.js';
import type { SeededRandom } from './seeded-random.js';

/** Every defect, in the order they are drawn. */
export const DEFECT_NAMES = [
  'fence',
  'prose',
  'shuffle',
  'missing',
  'duplicate',
  'conflict',
  'extra',
  'wrongIndexBase',
  'stringIndex',
  'truncate',
  'empty',
  'notJson',
  'serverError',
  'wrapObject',
  'pretty',
  // Drawn only when their rate is set (OPT_IN), so adding them shifted no existing seed.
  'positionBias',
  'shiftedIndices',
  'insertedItem',
  'nestedArray',
  'contentParts',
  'errorObject',
  'garbageUsage',
  'bracketLoop',
] as const;

export type DefectName = (typeof DEFECT_NAMES)[number];

/** Each defect's probability (0..1) per chat request; absent means 0. */
export type DefectRates = Partial<Record<DefectName, number>>;

/** Defects drawn only when their rate is set: adding one must not shift the draws of existing seeds. */
const OPT_IN: ReadonlySet<DefectName> = new Set(['positionBias', 'shiftedIndices', 'insertedItem', 'nestedArray', 'contentParts', 'errorObject', 'garbageUsage', 'bracketLoop']);

/**
 * What a request gets: a text (maybe defective, maybe sent as content parts or
 * with garbage token counts), a simulated HTTP 500, or an HTTP 200 carrying only
 * an error object.
 */
export type DefectiveAnswer =
  | { kind: 'text'; text: string; finishReason: 'stop' | 'length'; applied: DefectName[]; contentParts?: true; garbageUsage?: true }
  | { kind: 'serverError'; applied: DefectName[] }
  | { kind: 'errorObject'; applied: DefectName[] };

/** The `bracketLoop` answer: a model stuck in a loop, about 30 KB of `[[[…x…]]]`. */
export const BRACKET_LOOP = '['.repeat(15_000) + 'x' + ']'.repeat(15_000);

const REFUSALS = [
  "I'm sorry, but I can't help with that request.",
  'I am unable to classify these inputs as requested.',
  'As an AI language model, I cannot provide that analysis.',
];
const PROSE_BEFORE = ['Sure! Here are the results:', 'Here is the analysis you asked for.', 'Certainly. I classified each input below.'];
const PROSE_AFTER = ['Let me know if you need anything else.', 'I hope this helps!', 'Each input was considered separately.'];

/**
 * Draws this request's defects (one draw per defect, always, so a seed repeats)
 * and writes the answer with them.
 *
 * @param items the right answers, in prompt order
 * @param promptIndices the indices the prompt used
 *
 * @example
 * answerWithDefects([{ index: 1, value: 'positive' }], [1], shape, { fence: 1 }, new SeededRandom(1));
 * // → { kind: 'text', text: '```json\n[{"index":1,"answer":"positive"}]\n```', finishReason: 'stop', applied: ['fence'] }
 */
export function answerWithDefects(
  items: readonly AnswerItem[],
  promptIndices: readonly number[],
  shape: AnswerShape,
  rates: DefectRates,
  random: SeededRandom,
): DefectiveAnswer {
  const fired = drawDefects(rates, random);
  const whole = wholeAnswerDefect(fired, random);
  if (whole) return whole.kind === 'text' ? withResponseDefects(whole, fired) : whole;
  if (fired.has('bracketLoop')) return withResponseDefects({ kind: 'text', text: BRACKET_LOOP, finishReason: 'length', applied: ['bracketLoop'] }, fired);

  const applied: DefectName[] = [];
  const apply = (name: DefectName, changed: boolean) => {
    if (changed) applied.push(name);
  };
  let answers = items.map((item) => ({ ...item }));
  const json = shape.layout.kind === 'json';

  const promptIndexSet = new Set(promptIndices);
  if (fired.has('positionBias') && answers.length > 1) {
    const first = answers.findIndex((a) => Number(a.index) === promptIndices[0]);
    if (first !== -1) answers[first] = { ...answers[first]!, value: differentValue(answers[first]!.value) };
    apply('positionBias', first !== -1);
  }
  if (fired.has('insertedItem')) {
    // An item the prompt never had, somewhere in the list, and every item renumbered from the first index.
    const first = Math.min(...promptIndices);
    const invented = { index: first, value: answers.length > 0 ? differentValue(answers[random.int(0, answers.length - 1)]!.value) : 'neutral' };
    answers.splice(random.int(0, answers.length), 0, invented);
    answers = answers.map((a, i) => ({ ...a, index: first + i }));
    apply('insertedItem', true);
  }
  if (fired.has('shiftedIndices') && answers.length > 0) {
    answers = answers.map((a) => ({ ...a, index: Number(a.index) + 1 }));
    apply('shiftedIndices', true);
  }
  if (fired.has('wrongIndexBase')) {
    // The other base: counting from 0 when asked from 1 (or from 1 when asked from 0).
    const shift = Math.min(...promptIndices) === 0 ? 1 : -1;
    answers = answers.map((a) => ({ ...a, index: Number(a.index) + shift }));
    apply('wrongIndexBase', answers.length > 0);
  }
  // A lie about numbering shows in its indices and its item count; dropping items (missing, a cut) could hide it.
  const lie = applied.includes('insertedItem') || applied.includes('shiftedIndices');
  // The other base's give-away: the index outside the prompt's range.
  const givesAway = (a: AnswerItem) => fired.has('wrongIndexBase') && !promptIndexSet.has(Number(a.index));
  if (fired.has('missing') && !lie) {
    // Never drop the shifted answer outside the prompt's range: it is what gives a
    // wrong base away, and without it the shift could pass for a good answer.
    const droppable = answers.map((a, i) => (givesAway(a) ? -1 : i)).filter((i) => i >= 0);
    const count = Math.min(random.int(1, 3), answers.length > 1 ? answers.length - 1 : answers.length, droppable.length);
    const dropped = new Set<number>();
    while (dropped.size < count) dropped.add(droppable[random.int(0, droppable.length - 1)]!);
    answers = answers.filter((_, i) => !dropped.has(i));
    apply('missing', count > 0);
  }
  if (fired.has('shuffle') && answers.length > 1) {
    const before = answers.map((a) => a.index);
    for (let i = answers.length - 1; i > 0; i--) {
      const j = random.int(0, i);
      [answers[i], answers[j]] = [answers[j]!, answers[i]!];
    }
    // A shuffle that left the order as it was would be no defect at all.
    if (answers.every((a, i) => a.index === before[i])) answers.push(answers.shift()!);
    apply('shuffle', true);
  }
  if (fired.has('duplicate') && answers.length > 0) {
    const copy = answers[random.int(0, answers.length - 1)]!;
    answers.splice(random.int(0, answers.length), 0, { ...copy });
    apply('duplicate', true);
  }
  if (fired.has('conflict') && answers.length > 0) {
    // After the original, so a cut-off answer never keeps only the wrong value.
    const at = random.int(0, answers.length - 1);
    const original = answers[at]!;
    answers.splice(random.int(at + 1, answers.length), 0, { index: original.index, value: differentValue(original.value) });
    apply('conflict', true);
  }
  if (fired.has('extra')) {
    // Past the end, and never the other base's index, so it can't pass for a shift.
    const index = Math.max(...promptIndices) + random.int(2, 4);
    const value = answers.length > 0 ? answers[random.int(0, answers.length - 1)]!.value : 'neutral';
    answers.splice(random.int(0, answers.length), 0, { index, value });
    apply('extra', true);
  }
  if (fired.has('stringIndex') && answers.length > 0) {
    answers = answers.map((a) => ({ ...a, index: String(a.index) }));
    apply('stringIndex', true);
  }

  if (fired.has('truncate') && !lie && answers.some(givesAway)) {
    // A cut removes the last items; the give-aways go first so they survive (no random draw: seeds don't shift).
    answers = [...answers.filter(givesAway), ...answers.filter((a) => !givesAway(a))];
  }

  const wrap = json && shape.wrapIn === undefined && fired.has('wrapObject');
  apply('wrapObject', wrap);
  apply('pretty', json && fired.has('pretty'));
  let body = writeAnswer(answers, { ...shape, wrapIn: wrap ? 'results' : shape.wrapIn, pretty: json && fired.has('pretty') });
  const nested = json && fired.has('nestedArray');
  if (nested) body = shape.pretty || fired.has('pretty') ? `[\n${body}\n]` : `[${body}]`;
  apply('nestedArray', nested);

  const truncated = fired.has('truncate') && !lie && body.length >= 2;
  if (truncated) body = body.slice(0, random.int(Math.ceil(body.length / 2), body.length - 1));
  apply('truncate', truncated);

  const fence = fired.has('fence');
  apply('fence', fence);
  const prose = fired.has('prose');
  apply('prose', prose);
  const fenceOpen = fence ? `\`\`\`${json ? 'json' : shape.layout.kind === 'xml' ? 'xml' : ''}\n` : '';
  const before = prose ? `${random.pick(PROSE_BEFORE)}\n\n` : '';
  // A cut-off answer has nothing after the cut.
  const after = truncated ? '' : `${fence ? '\n```' : ''}${prose ? `\n\n${random.pick(PROSE_AFTER)}` : ''}`;
  return withResponseDefects({ kind: 'text', text: before + fenceOpen + body + after, finishReason: truncated ? 'length' : 'stop', applied: sortByName(applied) }, fired);
}

/**
 * A plain (one-record, unindexed) request: only the whole-answer defects apply
 * (`serverError`, `errorObject`, `empty`, `notJson`) and those about how the
 * answer is sent (`contentParts`, `garbageUsage`); the rest have no batch to act on.
 *
 * @example
 * plainAnswerWithDefects('positive', { empty: 1 }, new SeededRandom(1)); // → { kind: 'text', text: '', … applied: ['empty'] }
 */
export function plainAnswerWithDefects(text: string, rates: DefectRates, random: SeededRandom): DefectiveAnswer {
  const fired = drawDefects(rates, random);
  const whole = wholeAnswerDefect(fired, random) ?? { kind: 'text', text, finishReason: 'stop', applied: [] };
  return whole.kind === 'text' ? withResponseDefects(whole, fired) : whole;
}

function drawDefects(rates: DefectRates, random: SeededRandom): Set<DefectName> {
  return new Set(DEFECT_NAMES.filter((name) => (OPT_IN.has(name) && !rates[name] ? false : random.chance(rates[name] ?? 0))));
}

/** How the answer is sent rather than what it says: content as parts, token counts as words. */
function withResponseDefects(answer: Extract<DefectiveAnswer, { kind: 'text' }>, fired: Set<DefectName>): DefectiveAnswer {
  const applied = [...answer.applied];
  if (fired.has('contentParts')) applied.push('contentParts');
  if (fired.has('garbageUsage')) applied.push('garbageUsage');
  return {
    ...answer,
    applied: sortByName(applied),
    ...(fired.has('contentParts') && { contentParts: true as const }),
    ...(fired.has('garbageUsage') && { garbageUsage: true as const }),
  };
}

/** The defects that replace the whole answer, in precedence order. */
function wholeAnswerDefect(fired: Set<DefectName>, random: SeededRandom): DefectiveAnswer | undefined {
  if (fired.has('serverError')) return { kind: 'serverError', applied: ['serverError'] };
  if (fired.has('errorObject')) return { kind: 'errorObject', applied: ['errorObject'] };
  if (fired.has('empty')) return { kind: 'text', text: '', finishReason: 'stop', applied: ['empty'] };
  if (fired.has('notJson')) return { kind: 'text', text: random.pick(REFUSALS), finishReason: 'stop', applied: ['notJson'] };
  return undefined;
}

const SENTIMENTS = ['positive', 'negative', 'neutral'];

/**
 * A value that is certainly not `value`, for the `conflict` defect.
 *
 * @example
 * differentValue('positive'); // → 'negative'
 * differentValue(3);          // → 4
 */
export function differentValue(value: unknown): unknown {
  if (typeof value === 'string') {
    const at = SENTIMENTS.indexOf(value);
    return at === -1 ? `not ${value}` : SENTIMENTS[(at + 1) % SENTIMENTS.length];
  }
  if (typeof value === 'number') return value + 1;
  if (typeof value === 'boolean') return !value;
  if (Array.isArray(value)) return [...value, 'conflicting'];
  if (value !== null && typeof value === 'object') return { ...value, conflicting: true };
  return 'conflicting';
}

function sortByName(names: DefectName[]): DefectName[] {
  return DEFECT_NAMES.filter((name) => names.includes(name));
}
