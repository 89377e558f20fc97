/** The defect engine on its own: the promise that no defect but `conflict` changes a value, and that one never silently. */
import { answerChat, DEFECT_NAMES, differentValue, SeededRandom, sentimentOf, type DefectRates } from '../index';
import { batchPrompt, TEXTS } from './support/batch-prompts';

type Item = { index: number | string; sentiment: string };

/** Reads an answer the lenient way a client would; undefined when it isn't a whole JSON answer. */
function readItems(text: string): Item[] | undefined {
  const start = text.search(/[[{]/);
  const end = Math.max(text.lastIndexOf(']'), text.lastIndexOf('}')) + 1;
  if (start === -1 || end <= start) return undefined;
  try {
    const value = JSON.parse(text.slice(start, end)) as Item[] | Item[][] | { results: Item[] } | Array<{ results: Item[] }>;
    // nestedArray wraps the answer in one more array.
    const root = Array.isArray(value) && value.length === 1 && (Array.isArray(value[0]) || 'results' in value[0]!) ? value[0]! : value;
    return Array.isArray(root) ? (root as Item[]) : root.results;
  } catch {
    return undefined;
  }
}

/** The opt-in defects that give values to the wrong indices (detectably), and the honest one that counts from the other base. */
const NUMBERING_LIES = ['wrongIndexBase', 'shiftedIndices', 'insertedItem'] as const;

it.each([1, 0])('over many seeded draws of every defect, an answer is never silently wrong (prompt from %i)', (base) => {
  // positionBias lies on purpose (it exists to measure votes); every other defect must not. errorObject and
  // bracketLoop hold no answer to check (they replace it whole), so they are left out to keep the sample large.
  const unchecked = new Set(['positionBias', 'errorObject', 'bracketLoop']);
  const rates: DefectRates = Object.fromEntries(DEFECT_NAMES.filter((name) => !unchecked.has(name)).map((name) => [name, 0.35]));
  const random = new SeededRandom(99);
  const prompt = batchPrompt(TEXTS, { base });
  const right = (index: number) => (index - base >= 0 && index - base < TEXTS.length ? sentimentOf(TEXTS[index - base]!) : undefined);
  let checked = 0;
  for (let i = 0; i < 600; i++) {
    const { answer } = answerChat([{ role: 'user', content: prompt }], undefined, sentimentOf, rates, random);
    if (answer.kind !== 'text' || answer.finishReason === 'length') continue;
    const items = readItems(answer.text);
    if (!items) continue;
    checked++;
    const indices = items.map((item) => Number(item.index));
    if (answer.applied.includes('wrongIndexBase') && NUMBERING_LIES.every((lie) => lie === 'wrongIndexBase' || !answer.applied.includes(lie))) {
      // The answer from the other base keeps the index that gives it away.
      expect(indices).toContain(base === 1 ? 0 : TEXTS.length);
      continue;
    }
    // A numbering lie keeps an index outside the prompt's (unless two lies cancelled out: then every value is right, checked below).
    if (NUMBERING_LIES.some((lie) => answer.applied.includes(lie)) && indices.some((i) => right(i) === undefined)) continue;
    items.forEach((item, at) => {
      const expected = right(Number(item.index));
      if (expected === undefined || item.sentiment === expected) return;
      // A wrong value only as a conflict, after the right one for the same index.
      expect(answer.applied).toContain('conflict');
      expect(items.slice(0, at).some((earlier) => Number(earlier.index) === Number(item.index) && earlier.sentiment === expected)).toBe(true);
    });
  }
  expect(checked).toBeGreaterThan(100);
});

it('a truncated answer is always a strict prefix of the whole one', () => {
  const clean = answerChat([{ role: 'user', content: batchPrompt(TEXTS) }], undefined, sentimentOf, {}, new SeededRandom(1)).answer;
  const random = new SeededRandom(5);
  for (let i = 0; i < 50; i++) {
    const { answer } = answerChat([{ role: 'user', content: batchPrompt(TEXTS) }], undefined, sentimentOf, { truncate: 1 }, random);
    if (answer.kind !== 'text' || clean.kind !== 'text') throw new Error('expected text answers');
    expect(answer.finishReason).toBe('length');
    expect(clean.text.startsWith(answer.text)).toBe(true);
    expect(answer.text.length).toBeLessThan(clean.text.length);
  }
});

it('plain requests only get the whole-answer defects', () => {
  const random = new SeededRandom(1);
  const all = Object.fromEntries(DEFECT_NAMES.map((name) => [name, 1]));
  const { answer } = answerChat([{ role: 'user', content: 'Great phone' }], undefined, sentimentOf, { ...all, serverError: 0, errorObject: 0, empty: 0, notJson: 0, contentParts: 0, garbageUsage: 0 }, random);
  expect(answer).toEqual({ kind: 'text', text: 'positive', finishReason: 'stop', applied: [] });
  // How the answer is sent applies to plain requests too.
  expect(answerChat([{ role: 'user', content: 'Great phone' }], undefined, sentimentOf, { contentParts: 1, garbageUsage: 1 }, random).answer).toEqual({
    kind: 'text',
    text: 'positive',
    finishReason: 'stop',
    applied: ['contentParts', 'garbageUsage'],
    contentParts: true,
    garbageUsage: true,
  });
  expect(answerChat([{ role: 'user', content: 'Great phone' }], undefined, sentimentOf, { errorObject: 1 }, random).answer).toEqual({ kind: 'errorObject', applied: ['errorObject'] });
  expect(answerChat([{ role: 'user', content: 'Great phone' }], undefined, sentimentOf, { empty: 1 }, random).answer).toMatchObject({ text: '', applied: ['empty'] });
});

it('differentValue is never the value', () => {
  for (const value of ['positive', 'negative', 'neutral', 'other', 3, true, null, [1], { a: 1 }]) {
    expect(differentValue(value)).not.toEqual(value);
  }
});
