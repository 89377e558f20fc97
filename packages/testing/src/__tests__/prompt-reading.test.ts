/** Reading batch prompts and writing answers: the code the simulator and the fakes share. */
import { readBatchPrompt, userMessageOf, writeAnswer } from '../index';

describe('readBatchPrompt', () => {
  it("reads mlpredict's default layout: JSON string records and the answer example's fields", () => {
    const prompt = 'For each input below, give its sentiment.\n\nInput 1: "Great, \\"really\\" great"\nInput 2: "line one\\nline two"\n\nReturn a JSON array with exactly 2 objects, one per input: [{"index": <input number>, "sentiment": <answer>}, ...]';
    expect(readBatchPrompt(prompt)).toEqual({
      records: [
        { index: 1, text: 'Great, "really" great' },
        { index: 2, text: 'line one\nline two' },
      ],
      indexField: 'index',
      valueField: 'sentiment',
      fieldsStated: true,
      layout: { kind: 'json' },
    });
  });

  it('takes unquoted text raw, to the end of the line or the next Input on it', () => {
    const parsed = readBatchPrompt('Input 0: plain text, with commas\nInput 1: a Input 2: "b"');
    expect(parsed?.records).toEqual([
      { index: 0, text: 'plain text, with commas' },
      { index: 1, text: 'a' },
      { index: 2, text: 'b' },
    ]);
    expect(parsed).toMatchObject({ indexField: 'index', valueField: 'answer', fieldsStated: false });
  });

  it('does not take "Input n:" inside a quoted record, nor field names from a record', () => {
    const parsed = readBatchPrompt('Input 1: "he wrote Input 2: \\"x\\" here"\nInput 2: "[{\\"a\\": 1, \\"b\\": 2}]"\nReturn [{"id": n, "label": "..."}]');
    expect(parsed?.records).toEqual([
      { index: 1, text: 'he wrote Input 2: "x" here' },
      { index: 2, text: '[{"a": 1, "b": 2}]' },
    ]);
    expect(parsed).toMatchObject({ indexField: 'id', valueField: 'label' });
  });

  it("reads mlpredict's xml and delimited layouts", () => {
    const xml = readBatchPrompt('<inputs>\n<item index="1">Tom &amp; Jerry &lt;3</item>\n<item index="2">"quoted"</item>\n</inputs>\nEach in this form:\n<item index="<input number>"><mood>answer</mood></item>');
    expect(xml).toEqual({
      records: [
        { index: 1, text: 'Tom & Jerry <3' },
        { index: 2, text: 'quoted' },
      ],
      indexField: 'index',
      valueField: 'mood',
      fieldsStated: true,
      layout: { kind: 'xml' },
    });
    const delimited = readBatchPrompt('Input 1: "a"\nInput 2: "b"\nReply with exactly 2 lines, one per input, each as: <input number>|<topic>');
    expect(delimited).toMatchObject({ valueField: 'topic', layout: { kind: 'delimited', delimiter: '|' } });
    expect(delimited?.records).toHaveLength(2);
  });

  it('reads a {{recordsJson}} array of {index, text}', () => {
    const parsed = readBatchPrompt('Records: [{"index":1,"text":"Great"},{"index":2,"text":"Awful"}]\nAnswer as [{"index": n, "sentiment": "..."}]');
    expect(parsed?.records).toEqual([
      { index: 1, text: 'Great' },
      { index: 2, text: 'Awful' },
    ]);
    expect(parsed?.valueField).toBe('sentiment');
  });

  it('returns undefined for a plain prompt', () => {
    expect(readBatchPrompt('Classify this review: it was fine.')).toBeUndefined();
  });

  it('userMessageOf takes the last user message, joining text parts', () => {
    expect(userMessageOf([{ role: 'user', content: 'first' }, { role: 'assistant', content: 'x' }, { role: 'user', content: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }] }])).toBe('ab');
    expect(userMessageOf([{ role: 'system', content: 'only system' }])).toBe('');
  });
});

describe('writeAnswer', () => {
  const items = [
    { index: 1, value: 'positive' },
    { index: 2, value: 'multi\nline <b>&</b>' },
  ];
  it('writes JSON arrays, wrapped or pretty', () => {
    const shape = { layout: { kind: 'json' as const }, indexField: 'i', valueField: 'v' };
    expect(writeAnswer(items, shape)).toBe('[{"i":1,"v":"positive"},{"i":2,"v":"multi\\nline <b>&</b>"}]');
    expect(JSON.parse(writeAnswer(items, { ...shape, wrapIn: 'results', pretty: true }))).toEqual({ results: [{ i: 1, v: 'positive' }, { i: 2, v: 'multi\nline <b>&</b>' }] });
    expect(writeAnswer(items, { ...shape, pretty: true })).toContain('\n  {\n');
  });
  it('writes escaped XML elements and one-line delimited answers', () => {
    expect(writeAnswer(items, { layout: { kind: 'xml' }, indexField: 'index', valueField: 'mood' })).toBe('<item index="1"><mood>positive</mood></item>\n<item index="2"><mood>multi\nline &lt;b&gt;&amp;&lt;/b&gt;</mood></item>');
    expect(writeAnswer(items, { layout: { kind: 'delimited', delimiter: ' | ' }, indexField: 'index', valueField: 'mood' })).toBe('1 | positive\n2 | multi line <b>&</b>');
  });
});
