/**
 * Reading stream replies and entries: property tests for the reply reader (both
 * RESP shapes, deleted entries, junk), the record decoder (any JSON round-trips;
 * anything else is invalid, with a reason naming the entry and the raw text
 * kept) and the result encoder.
 */
import fc from 'fast-check';
import { decodeEntry } from '../streams/decode-entry';
import { readStreamReply, type StreamEntry } from '../streams/stream-entries';
import { encodeResult } from '../streams/result-entry';

const entryId = fc.tuple(fc.nat(), fc.nat(99)).map(([ms, seq]) => `${ms}-${seq}`);
const fieldMap = fc.dictionary(fc.string({ minLength: 1 }), fc.string(), { maxKeys: 5 });
const entries = fc.array(
  fc.record({ id: entryId, fields: fc.option(fieldMap, { nil: null }) }),
  { maxLength: 8 },
);
const flatten = (fields: Record<string, string> | null) => (fields === null ? null : Object.entries(fields).flat());
const plain = (list: StreamEntry[]) => list.map((e) => ({ id: e.id, fields: e.fields === null ? null : { ...e.fields } }));

describe('readStreamReply', () => {
  test('reads every entry back from a RESP3 map and a RESP2 pair list, deleted ones as null fields', () => {
    fc.assert(
      fc.property(entries, (list) => {
        const raw = list.map((e) => [e.id, flatten(e.fields)]);
        const expected = list.map((e) => ({ id: e.id, fields: e.fields === null ? null : { ...e.fields } }));
        expect(plain(readStreamReply({ other: [['9-9', ['x', 'y']]], jobs: raw }, 'jobs'))).toEqual(expected);
        expect(plain(readStreamReply([['other', []], ['jobs', raw]], 'jobs'))).toEqual(expected);
        expect(plain(readStreamReply(new Map([['jobs', raw]]), 'jobs'))).toEqual(expected);
      }),
    );
  });

  test('a timed-out block (null) and a reply without the stream read as no entries', () => {
    expect(readStreamReply(null, 'jobs')).toEqual([]);
    expect(readStreamReply({ other: [] }, 'jobs')).toEqual([]);
  });

  test('junk never reads as entries it does not hold: a TypeError or a faithful list', () => {
    fc.assert(
      fc.property(fc.anything(), (junk) => {
        try {
          const list = readStreamReply({ jobs: junk }, 'jobs');
          // Only a real list of [id, [field, value…] | null] may be read, and then faithfully.
          expect(Array.isArray(junk)).toBe(true);
          expect(list).toHaveLength((junk as unknown[]).length);
        } catch (error) {
          expect(error).toBeInstanceOf(TypeError);
        }
      }),
    );
    expect(() => readStreamReply({ jobs: [['1-0', ['odd']]] }, 'jobs')).toThrow(/expected \[field, value, …\]/);
  });
});

describe('decodeEntry', () => {
  test('any JSON record round-trips', () => {
    fc.assert(
      fc.property(fc.jsonValue(), entryId, (value, id) => {
        const decoded = decodeEntry({ id, fields: { record: JSON.stringify(value), other: 'x' } });
        expect(decoded.invalid).toBeUndefined();
        expect(decoded.record).toEqual(JSON.parse(JSON.stringify(value)));
      }),
    );
  });

  test('a field that is not JSON is invalid, naming the entry, with the raw text as the record', () => {
    fc.assert(
      fc.property(fc.string(), entryId, (text, id) => {
        let valid = true;
        try {
          JSON.parse(text);
        } catch {
          valid = false;
        }
        fc.pre(!valid);
        const decoded = decodeEntry({ id, fields: { record: text } });
        expect(decoded.invalid).toContain(`entry ${id}: field "record" is not JSON (`);
        expect(decoded.record).toBe(text);
      }),
    );
  });

  test('a missing field says what is wrong and what the entry has; the record is the fields', () => {
    expect(decodeEntry({ id: '5-0', fields: { text: 'hi', n: '1' } })).toEqual({
      record: { text: 'hi', n: '1' },
      invalid: 'entry 5-0 has no "record" field (it has "text", "n"); put the record as JSON in "record"',
    });
    expect(decodeEntry({ id: '6-0', fields: {} }).invalid).toBe('entry 6-0 has no "record" field (it has none); put the record as JSON in "record"');
  });
});

describe('encodeResult', () => {
  test('values as {"value": …}, errors as {"error": {code, message}} only', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(JSON.parse(encodeResult({ value }))).toEqual({ value: JSON.parse(JSON.stringify(value)) });
      }),
    );
    expect(encodeResult({ error: { code: 'missing', message: 'no answer', attempts: 3 } as never })).toBe(
      '{"error":{"code":"missing","message":"no answer"}}',
    );
    expect(encodeResult({ value: undefined })).toBe('{"value":null}');
  });

  test('a value JSON cannot hold becomes an error result; neither value nor error throws', () => {
    expect(JSON.parse(encodeResult({ value: 10n }))).toEqual({ error: { code: 'bad_input', message: expect.stringMatching(/^encode failed: .*BigInt/) } });
    expect(() => encodeResult({})).toThrow(/needs a value or an error/);
  });
});
