/**
 * Issue 11, point 6: every answer reader, on random and adversarial text, never
 * throws, never yields a value for an index outside the batch once reconciled,
 * and does work linear in the text's length (counted, not timed).
 */
import fc from 'fast-check';
import { RESPONSE_FORMATS, type ResponseFormatName } from '../formats/registry';
import { readWork } from '../formats/read-work';
import { reconcile } from '../predict/reconcile';

const FORMATS = Object.keys(RESPONSE_FORMATS) as ResponseFormatName[];
const OPTIONS = { responsePath: '$[*]', indexField: 'index', valueField: 'answer', delimiter: '|' };
const read = (format: ResponseFormatName, text: string, truncated = false) => RESPONSE_FORMATS[format].read(text, { ...OPTIONS, truncated });

/** Pieces models (and models stuck in loops) actually write, and pieces that trip scanners. */
const FRAGMENTS = [
  '[', ']', '{', '}', '"', '\\', ',', ':', ' ', '\n', '\n\n', '```', '```json\n', 'x', '5', '-1', '99', '1e400',
  '{"index": 1, "answer": "a"}', '{"index": "2", "answer": "b"}', '[{"index": 3, "answer": "c"}', '"index"', '"answer"',
  '<item index="1">', '<item index="2"><answer>b</answer></item>', '</item>', '<item>', '<answer>', '</answer>', '<![CDATA[', ']]>',
  '<a ', '<', '>', '/>', '&amp;', '&#', '1|a', '2 | b', 'Input 3|c', '| 4 | d |', '- 5|e', 'index', 'answer', "I'd rate it [5]",
];
const fragment = fc.constantFrom(...FRAGMENTS);
const adversarial = fc.array(fc.oneof(fragment, fc.string({ maxLength: 6 })), { maxLength: 60 }).map((parts) => parts.join(''));
const pieces = (min: number, max: number) => fc.array(fragment, { minLength: min, maxLength: max }).map((parts) => parts.join(''));
/**
 * A model stuck in a loop, ~20 KB: one short pattern repeated, or k openings, a
 * middle and k closings (`[[[…x…]]]`, `<a><a>…`), the shape that made a per-bracket
 * scan quadratic.
 */
const NESTINGS: Array<[string, string]> = [['[', ']'], ['{', '}'], ['{"a":', '}'], ['[1,', ']'], ['<a>', '</a>'], ['<item index="1">', '</item>'], ['<answer>', '</answer>']];
const loop = fc.oneof(
  pieces(1, 6).map((unit) => unit.repeat(Math.ceil(20_000 / unit.length))),
  fc.tuple(fc.array(fc.constantFrom(...NESTINGS), { minLength: 1, maxLength: 3 }), pieces(0, 3), fc.boolean()).map(([nest, middle, closed]) => {
    const open = nest.map(([o]) => o).join('');
    const close = nest.map(([, c]) => c).reverse().join('');
    const k = Math.ceil(10_000 / (open.length + close.length));
    return open.repeat(k) + middle + (closed ? close.repeat(k) : '');
  }),
);
const anyText = fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: 'grapheme', maxLength: 100 }), adversarial);

describe.each(FORMATS)('the %s reader', (format) => {
  it('never throws and always says whether it read anything', () => {
    fc.assert(
      fc.property(anyText, fc.boolean(), (text, truncated) => {
        const got = read(format, text, truncated);
        expect(Array.isArray(got.answers)).toBe(true);
        if (got.answers.length > 0) expect(got.unusable).toBe(false);
        for (const answer of got.answers) expect(Number.isInteger(answer.index)).toBe(true);
      }),
      { numRuns: 400 },
    );
  });

  it('once reconciled, never gives a value to a position outside the batch, and takes an answer whole or not at all', () => {
    fc.assert(
      fc.property(anyText, fc.integer({ min: 1, max: 20 }), fc.constantFrom(0, 1), (text, count, base) => {
        const got = read(format, text);
        const matched = reconcile(got.answers, count, base, got.partial);
        for (const position of matched.values.keys()) expect(position >= 0 && position < count).toBe(true);
        const outside = got.answers.some((a) => a.index < base - 1 || a.index > base + count);
        if (outside || matched.untrusted) expect(matched.values.size).toBe(0);
        if (matched.values.size === 0) return;
        // Never by position: each value is the one its own index carries (shifted back only from the whole other base).
        const inRange = got.answers.every((a) => a.index >= base && a.index < base + count);
        const shift = inRange ? 0 : base === 1 ? 1 : -1;
        for (const a of got.answers) expect(matched.values.get(a.index + shift - base)).toEqual(a.value);
      }),
      { numRuns: 400 },
    );
  });

});

// The scanning readers count their work; delimited and text are a split and a trim (the 1 MB check below covers them).
describe.each(['json', 'xml'] as const)('the %s reader, on a loop', (format) => {
  it('does work linear in the length of the text, whatever it repeats', () => {
    const parse = jest.spyOn(JSON, 'parse');
    try {
      fc.assert(
        fc.property(loop, (text) => {
          readWork.characters = 0;
          parse.mockClear();
          read(format, text);
          const parsed = parse.mock.calls.reduce((sum, [arg]) => sum + String(arg).length, 0);
          expect(readWork.characters).toBeLessThanOrEqual(12 * text.length + 10_000);
          expect(parsed).toBeLessThanOrEqual(8 * text.length + 4096);
        }),
        { numRuns: 150 },
      );
    } finally {
      parse.mockRestore();
    }
  });
});

describe('the json extractor on a model stuck in a loop', () => {
  it('hands JSON.parse no more than a few times the text, however deep the brackets', () => {
    const parse = jest.spyOn(JSON, 'parse');
    try {
      // 15 000 is the 30 KB [[[…x…]]], which the old extractor took 20 s over.
      for (const n of [1_000, 15_000]) {
        for (const text of ['['.repeat(n) + 'x' + ']'.repeat(n), '['.repeat(n) + 'x', '[1,'.repeat(n) + ']', 'a [b] '.repeat(n)]) {
          parse.mockClear();
          read('json', text);
          const parsed = parse.mock.calls.reduce((sum, [arg]) => sum + String(arg).length, 0);
          expect(parsed).toBeLessThanOrEqual(8 * text.length + 4096);
          // Failed parses cost microseconds each: a loop of fragments gets a bounded number of tries.
          expect(parse.mock.calls.length).toBeLessThanOrEqual(1024);
        }
      }
    } finally {
      parse.mockRestore();
    }
  });
});

it('every reader reads a 1 MB answer of a degenerate shape in well under a second', () => {
  // The one wall-clock check here, and a generous one (the deterministic counts above are the real
  // guard): on an idle machine each read takes a few to a few tens of milliseconds, and a quadratic
  // reader would take minutes. 2 s for the two reads leaves room for a loaded CI machine.
  const MB = 1_000_000;
  const shapes = [
    '['.repeat(MB / 2) + 'x' + ']'.repeat(MB / 2),
    '{"a":'.repeat(MB / 5),
    '[' + '1,'.repeat(MB / 2) + '1]',
    'a [b] '.repeat(MB / 6),
    '"'.repeat(MB),
    '`'.repeat(MB),
    '<item index="1">'.repeat(MB / 16),
    '<a '.repeat(MB / 3),
    '<item>' + ' '.repeat(MB),
    '<![CDATA['.repeat(MB / 9),
    '\n \n'.repeat(MB / 3) + 'x',
    '1|'.repeat(MB / 2),
    '1|a\n'.repeat(MB / 4),
    '[' + '{"index":1,"answer":"a"},'.repeat(MB / 26) + '{"index":1,"answer":"a"}]',
    '<item index="1">a</item>'.repeat(MB / 24),
    ' '.repeat(MB) + '0',
  ];
  for (const format of FORMATS) {
    for (const text of shapes) {
      const started = performance.now();
      read(format, text, true);
      read(format, text, false);
      const ms = performance.now() - started;
      if (ms > 2000) throw new Error(`${format} took ${Math.round(ms)} ms on ${JSON.stringify(text.slice(0, 20))}…`);
    }
  }
});
