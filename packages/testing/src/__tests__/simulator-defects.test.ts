/** Each defect, through the real openai SDK: present at rate 1, absent at rate 0, counted, and repeatable by seed. */
import OpenAI from 'openai';
import { DEFECT_NAMES, sentimentOf, startSimulator, type DefectName, type Simulator } from '../index';
import { BRACKET_LOOP } from '../answer-defects';
import { ask, batchPrompt, clientFor, TEXTS } from './support/batch-prompts';

let sim: Simulator;
let client: OpenAI;
beforeAll(async () => {
  sim = await startSimulator({ seed: 3 });
  client = clientFor(sim.url);
});
afterAll(async () => {
  await sim.close();
});

type Item = { index: number | string; sentiment: string };
const right: Item[] = TEXTS.map((text, i) => ({ index: i + 1, sentiment: sentimentOf(text) }));
const clean = JSON.stringify(right);
const valueAt = (index: number) => right[index - 1]?.sentiment;
const parse = (content: string) => JSON.parse(content) as Item[];

/** The defects whose answer is not a chat completion (tested on their own below). */
type NotACompletion = 'serverError' | 'errorObject';
/** What each defect must look like, given the answer text (and the whole reply, for how it was sent). */
const looksRight: Record<Exclude<DefectName, NotACompletion>, (content: string, finish: string | null, reply: OpenAI.ChatCompletion) => void> = {
  fence(content) {
    expect(content).toBe('```json\n' + clean + '\n```');
  },
  prose(content) {
    const start = content.indexOf('[');
    const end = content.lastIndexOf(']') + 1;
    expect(start).toBeGreaterThan(0);
    expect(end).toBeLessThan(content.length);
    expect(JSON.parse(content.slice(start, end))).toEqual(right);
  },
  shuffle(content) {
    const items = parse(content);
    expect(items.map((i) => i.index)).not.toEqual([1, 2, 3, 4, 5, 6]);
    expect([...items].sort((a, b) => Number(a.index) - Number(b.index))).toEqual(right);
  },
  missing(content) {
    const items = parse(content);
    expect(items.length).toBeGreaterThanOrEqual(3);
    expect(items.length).toBeLessThanOrEqual(5);
    for (const item of items) expect(item.sentiment).toBe(valueAt(Number(item.index)));
  },
  duplicate(content) {
    const items = parse(content);
    expect(items).toHaveLength(7);
    expect(new Set(items.map((i) => i.index)).size).toBe(6);
    for (const item of items) expect(item.sentiment).toBe(valueAt(Number(item.index)));
  },
  conflict(content) {
    const items = parse(content);
    expect(items).toHaveLength(7);
    const wrong = items.filter((i) => i.sentiment !== valueAt(Number(i.index)));
    expect(wrong).toHaveLength(1);
    // The right value is there too, and comes first.
    const first = items.find((i) => i.index === wrong[0]!.index)!;
    expect(first.sentiment).toBe(valueAt(Number(first.index)));
  },
  extra(content) {
    const items = parse(content);
    expect(items).toHaveLength(7);
    const unknown = items.filter((i) => valueAt(Number(i.index)) === undefined);
    expect(unknown).toHaveLength(1);
    expect(Number(unknown[0]!.index)).toBeGreaterThanOrEqual(8);
  },
  wrongIndexBase(content) {
    expect(parse(content)).toEqual(right.map((item) => ({ ...item, index: Number(item.index) - 1 })));
  },
  stringIndex(content) {
    expect(parse(content)).toEqual(right.map((item) => ({ ...item, index: String(item.index) })));
  },
  truncate(content, finish) {
    expect(finish).toBe('length');
    expect(clean.startsWith(content)).toBe(true);
    expect(content.length).toBeGreaterThanOrEqual(clean.length / 2);
    expect(content.length).toBeLessThan(clean.length);
  },
  empty(content) {
    expect(content).toBe('');
  },
  notJson(content) {
    expect(content).toMatch(/^[A-Z][^[\]{}]*\.$/);
  },
  wrapObject(content) {
    expect(JSON.parse(content)).toEqual({ results: right });
  },
  pretty(content) {
    expect(content).toBe(JSON.stringify(right, null, 2));
  },
  positionBias(content) {
    // Only the record shown first is wrong, silently: same index, another value.
    const [first, ...rest] = parse(content);
    expect(first!.index).toBe(1);
    expect(first!.sentiment).not.toBe(valueAt(1));
    expect(rest).toEqual(right.slice(1));
  },
  shiftedIndices(content) {
    // Every value one index too high: 2..7 for a prompt of 1..6, so 7 gives it away.
    expect(parse(content)).toEqual(right.map((item) => ({ ...item, index: Number(item.index) + 1 })));
  },
  insertedItem(content) {
    // Seven items renumbered 1..7: the right values in order, one invented among them.
    const items = parse(content);
    expect(items.map((i) => i.index)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    const at = items.findIndex((item, i) => item.sentiment !== right[i]?.sentiment);
    expect(at).toBeGreaterThanOrEqual(0);
    expect(items.filter((_, i) => i !== at).map((i) => i.sentiment)).toEqual(right.map((i) => i.sentiment));
  },
  nestedArray(content) {
    expect(JSON.parse(content)).toEqual([right]);
  },
  contentParts(content) {
    // Through the SDK untouched: an array of text parts that join to the answer.
    const parts = content as unknown as Array<{ type: string; text: string }>;
    expect(parts).toHaveLength(2);
    expect(parts.every((p) => p.type === 'text')).toBe(true);
    expect(parts.map((p) => p.text).join('')).toBe(clean);
  },
  garbageUsage(content, _finish, reply) {
    expect(content).toBe(clean);
    expect(reply.usage).toEqual({ prompt_tokens: 'lots', completion_tokens: 'a few', total_tokens: 'lots' });
  },
  bracketLoop(content, finish) {
    expect(content).toBe(BRACKET_LOOP);
    expect(content.length).toBeGreaterThan(30_000);
    expect(finish).toBe('length');
  },
};

it.each(DEFECT_NAMES.filter((name) => name !== 'serverError' && name !== 'errorObject'))('%s appears when its rate is 1', async (name) => {
  sim.configure({ defects: { [name]: 1 } });
  sim.resetStats();
  const reply = await ask(client, batchPrompt(TEXTS));
  const choice = reply.choices[0]!;
  looksRight[name as Exclude<DefectName, NotACompletion>](choice.message.content ?? '', choice.finish_reason, reply);
  if (name !== 'truncate' && name !== 'bracketLoop') expect(choice.finish_reason).toBe('stop');
  expect(sim.stats.defects).toEqual({ [name]: 1 });
});

it('errorObject answers HTTP 200 with an error object and no choices, which the SDK hands back as if it were a completion', async () => {
  sim.configure({ defects: { errorObject: 1 } });
  sim.resetStats();
  const { data, response } = await ask(client, batchPrompt(TEXTS)).withResponse();
  expect(response.status).toBe(200);
  expect(data).toEqual({ error: { message: expect.stringMatching(/upstream model failed/), type: 'upstream_error' } });
  expect(data.choices).toBeUndefined();
  expect(sim.stats.defects).toEqual({ errorObject: 1 });
});

it('the numbering lies are never combined with missing or a cut, which could hide them', async () => {
  for (const lie of ['shiftedIndices', 'insertedItem'] as const) {
    sim.configure({ seed: 11, defects: { [lie]: 1, missing: 1, shuffle: 1, truncate: 1 } });
    for (let i = 0; i < 10; i++) {
      const choice = (await ask(client, batchPrompt(TEXTS))).choices[0]!;
      expect(choice.finish_reason).toBe('stop');
      const indices = parse(choice.message.content!).map((item) => Number(item.index));
      // Every item is there, so the index past the prompt's (7) is too.
      expect(indices).toHaveLength(lie === 'insertedItem' ? 7 : 6);
      expect(indices).toContain(7);
    }
  }
});

it("wrongIndexBase keeps its give-away first when it is shuffled and cut", async () => {
  sim.configure({ seed: 5, defects: { wrongIndexBase: 1, shuffle: 1, truncate: 1 } });
  for (let i = 0; i < 10; i++) {
    const content = (await ask(client, batchPrompt(TEXTS))).choices[0]!.message.content!;
    expect(content.startsWith('[{"index":0,')).toBe(true);
  }
});

it('serverError answers HTTP 500 when its rate is 1', async () => {
  sim.configure({ defects: { serverError: 1 } });
  sim.resetStats();
  const error = await ask(client, batchPrompt(TEXTS)).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(OpenAI.InternalServerError);
  expect((error as InstanceType<typeof OpenAI.InternalServerError>).status).toBe(500);
  expect(sim.stats.defects).toEqual({ serverError: 1 });
  expect(sim.stats.byStatus).toEqual({ 500: 1 });
});

it('no defect ever appears when every rate is 0', async () => {
  sim.configure({ defects: Object.fromEntries(DEFECT_NAMES.map((name) => [name, 0])) });
  sim.resetStats();
  for (let i = 0; i < 20; i++) {
    const reply = await ask(client, batchPrompt(TEXTS));
    expect(reply.choices[0]!.message.content).toBe(clean);
    expect(reply.choices[0]!.finish_reason).toBe('stop');
  }
  expect(sim.stats.defects).toEqual({});
});

it('wrongIndexBase answers from 1 when the prompt counts from 0', async () => {
  sim.configure({ defects: { wrongIndexBase: 1 } });
  const reply = await ask(client, batchPrompt(TEXTS, { base: 0 }));
  expect(parse(reply.choices[0]!.message.content!)).toEqual(right);
});

it('the same seed gives the same defects in the same order; another seed does not', async () => {
  const rates = Object.fromEntries(DEFECT_NAMES.filter((n) => n !== 'serverError' && n !== 'errorObject').map((name) => [name, 0.3]));
  const run = async (seed: number) => {
    sim.configure({ seed, defects: rates });
    const contents: string[] = [];
    for (let i = 0; i < 12; i++) contents.push((await ask(client, batchPrompt(TEXTS))).choices[0]!.message.content ?? '');
    return contents;
  };
  const first = await run(42);
  expect(await run(42)).toEqual(first);
  expect(await run(43)).not.toEqual(first);
  expect(new Set(first).size).toBeGreaterThan(3);
});
