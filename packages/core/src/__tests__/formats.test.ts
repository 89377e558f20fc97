import { predictAll, type CompletionRequest, type PredictOptions } from '@mlpredict/core';
import { recordText, renderMessages, resolveOptions } from '@mlpredict/core/internals';
import { readXmlAnswers } from '../formats/xml/read-xml-answers';
import { readDelimitedAnswers } from '../formats/delimited/read-delimited-answers';
import { readTextAnswer } from '../formats/text/text-format';
import { RESPONSE_FORMATS } from '../formats/registry';
import { answerModel, promptRecords, upper, type PromptRecord } from './support/answer-model';

const fast = { batchTimeoutMs: 0, retry: { strategy: 'fixed' as const, baseDelayMs: 1, maxDelayMs: 1 } };
const words = (n: number) => Array.from({ length: n }, (_, i) => `word ${i}`);

describe('readXmlAnswers', () => {
  const opts = { indexField: 'index', valueField: 'sentiment' };

  it('reads <item index> elements, plain or with a value element, in any order', () => {
    const read = readXmlAnswers('<item index="2">negative</item>\n<item index="1"><sentiment>positive</sentiment></item>', opts);
    expect(read.answers).toEqual([
      { index: 2, value: 'negative' },
      { index: 1, value: 'positive' },
    ]);
    expect(read).toMatchObject({ partial: false, unusable: false, warnings: [] });
  });

  it('ignores fences, prose and a wrapping root element', () => {
    const text = 'Sure! Here are the results (1 < 2):\n```xml\n<results>\n  <item index="1">positive</item>\n  <item index="2">neutral</item>\n</results>\n```\nAnything else?';
    expect(readXmlAnswers(text, opts).answers).toEqual([
      { index: 1, value: 'positive' },
      { index: 2, value: 'neutral' },
    ]);
  });

  it("reads string indices: 'Input 3', '#4', unquoted and single-quoted", () => {
    const text = `<item index="Input 3">a</item><item index='#4'>b</item><item index=5>c</item>`;
    expect(readXmlAnswers(text, opts).answers.map((a) => a.index)).toEqual([3, 4, 5]);
  });

  it('decodes entities and takes CDATA literally', () => {
    const text = '<item index="1">a &lt; b &amp;&amp; c &gt; d &quot;q&quot; &#39;s&#x27;</item><item index="2"><sentiment><![CDATA[x < y & "z"]]></sentiment></item>';
    expect(readXmlAnswers(text, opts).answers).toEqual([
      { index: 1, value: `a < b && c > d "q" 's'` },
      { index: 2, value: 'x < y & "z"' },
    ]);
  });

  it('salvages the complete items of a cut-off answer and says it is partial', () => {
    const read = readXmlAnswers('<results><item index="1">positive</item><item index="2"><sentiment>neg', opts);
    expect(read.answers).toEqual([{ index: 1, value: 'positive' }]);
    expect(read.partial).toBe(true);
    expect(readXmlAnswers('<item index="1">x</item><it', opts).partial).toBe(true);
    expect(readXmlAnswers('<item index="1">x</item>\nNote that 3 < 4.', opts).partial).toBe(false);
  });

  it('reads the index as a child element, and a value as an attribute', () => {
    const read = readXmlAnswers('<item><index>1</index><sentiment>positive</sentiment></item><item index="2" sentiment="negative"/>', opts);
    expect(read.answers).toEqual([
      { index: 1, value: 'positive' },
      { index: 2, value: 'negative' },
    ]);
  });

  it('ignores an item with other elements but no value element, with a warning', () => {
    const read = readXmlAnswers('<item index="1"><label>x</label></item><item index="2">ok</item>', opts);
    expect(read.answers).toEqual([{ index: 2, value: 'ok' }]);
    expect(read.warnings.join()).toMatch(/without <sentiment>/);
    expect(readXmlAnswers('<item index="1"/>', opts)).toMatchObject({ answers: [], unusable: true });
  });

  it('without a valueField, takes child elements as an object, as json takes the item', () => {
    const read = readXmlAnswers('<item index="1"><name>Ada</name><role>engineer</role></item>', { indexField: 'index' });
    expect(read.answers).toEqual([{ index: 1, value: { name: 'Ada', role: 'engineer' } }]);
  });

  it('marks prose unusable and never takes it as an answer; offers a bare value element for one record', () => {
    const prose = readXmlAnswers('I cannot help with that.', opts);
    expect(prose).toMatchObject({ answers: [], unusable: true });
    expect(prose.unindexed).toBeUndefined();
    expect(readXmlAnswers('<sentiment>positive</sentiment>', opts).unindexed).toBe('positive');
  });
});

describe('readDelimitedAnswers', () => {
  const opts = { delimiter: '|' };

  it('reads index|value lines, spaces around, prose, blank lines and fences ignored', () => {
    const text = 'Here are the answers:\n```\n1|positive\n\n 2 | negative \nInput 3 | neutral\n#4|mixed\n```\nHope that helps.';
    const read = readDelimitedAnswers(text, opts);
    expect(read.answers).toEqual([
      { index: 1, value: 'positive' },
      { index: 2, value: 'negative' },
      { index: 3, value: 'neutral' },
      { index: 4, value: 'mixed' },
    ]);
    expect(read).toMatchObject({ partial: false, unusable: false });
  });

  it('keeps the delimiter inside a value, and reads list markers and table rows', () => {
    const read = readDelimitedAnswers('- 1 | a|b\n| 2 | c |', opts);
    expect(read.answers).toEqual([
      { index: 1, value: 'a|b' },
      { index: 2, value: 'c' },
    ]);
  });

  it('uses the delimiter option', () => {
    expect(readDelimitedAnswers('1\tpositive\n2\tnegative', { delimiter: '\t' }).answers).toEqual([
      { index: 1, value: 'positive' },
      { index: 2, value: 'negative' },
    ]);
    expect(readDelimitedAnswers('1|positive', { delimiter: '\t' }).unusable).toBe(true);
  });

  it('drops the last line of a cut-off answer unless it ended with a line break', () => {
    expect(readDelimitedAnswers('1|positive\n2|nega', { ...opts, truncated: true })).toMatchObject({ answers: [{ index: 1, value: 'positive' }], partial: true });
    expect(readDelimitedAnswers('1|positive\n2|negative\n', { ...opts, truncated: true }).answers).toHaveLength(2);
    expect(readDelimitedAnswers('1|positive\n2|nega', opts).answers).toHaveLength(2);
  });

  it('skips empty values with a warning, and prose is unusable', () => {
    const read = readDelimitedAnswers('1|\n2|x', opts);
    expect(read.answers).toEqual([{ index: 2, value: 'x' }]);
    expect(read.warnings.join()).toMatch(/empty answer for index 1/);
    expect(readDelimitedAnswers('positive', opts)).toMatchObject({ unusable: true, answers: [] });
    expect(readDelimitedAnswers('positive', opts).unindexed).toBeUndefined();
  });
});

describe('text format', () => {
  it('is the whole trimmed answer for one record, nothing for an empty one', () => {
    expect(readTextAnswer('  A short summary.\n\nWith two lines. ')).toMatchObject({ answers: [], unindexed: 'A short summary.\n\nWith two lines.' });
    expect(readTextAnswer(' \n').unindexed).toBeUndefined();
  });
});

/** The messages one request would send for these inputs, as the engine renders them. */
function render(inputs: string[], options: PredictOptions) {
  const { prompt } = resolveOptions(options);
  return renderMessages(inputs.map((input) => ({ input, text: recordText(input, prompt) })), prompt);
}

describe('the format registry', () => {
  it('registers json, xml, delimited and text, and the option accepts each', () => {
    expect(Object.keys(RESPONSE_FORMATS).sort()).toEqual(['delimited', 'json', 'text', 'xml']);
    for (const name of ['xml', 'delimited', 'text'] as const) expect(resolveOptions({ responseFormat: name }).parse.format.name).toBe(name);
    expect(() => resolveOptions({ responseFormat: 'yaml' as never })).toThrow(/"responseFormat" \(response\.format\): expected one of .*"xml"/);
  });

  it('renders the xml prompt as <item> elements, with the value field and system prompt', () => {
    const [system, user] = render(['say "hi" <b>', 'x'], { responseFormat: 'xml', valueField: 'sentiment' });
    expect(system!.content).toMatch(/XML/);
    // Record text as a JSON string, or XML-escaped once the view has an `xmlText` field.
    const forms = ['<item index="1">"say \\"hi\\" <b>"</item>', '<item index="1">say "hi" &lt;b&gt;</item>'];
    expect(forms.filter((f) => user!.content.includes(f))).toHaveLength(1);
    expect(user!.content).toMatch(/^<item index="2">("x"|x)<\/item>$/m);
    expect(user!.content).toContain('<item index="<input number>"><sentiment>answer</sentiment></item>');
  });

  it('renders the delimited prompt with the delimiter option', () => {
    const [, user] = render(['a'], { responseFormat: 'delimited', delimiter: '::', valueField: 'label' });
    expect(user!.content).toContain('Input 1: "a"');
    expect(user!.content).toContain('<input number>::<label>');
  });
});

/** Records as the xml prompt writes them: `<item index="n">"json text"</item>` (or escaped text). */
function xmlPromptRecords(request: CompletionRequest): PromptRecord[] {
  const user = request.messages.at(-1)!.content;
  return [...user.matchAll(/^<item index="(\d+)">(.*)<\/item>$/gm)].map((m) => ({
    index: Number(m[1]),
    text: m[2]!.startsWith('"') ? (JSON.parse(m[2]!) as string) : m[2]!.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&'),
  }));
}

type Reply = (records: PromptRecord[], call: number) => string | { text: string; finishReason: string };

/** A model for one format: reads the records out of its prompt, answers through `reply`. */
function formatModel(read: (r: CompletionRequest) => PromptRecord[], reply: Reply) {
  const seen: PromptRecord[][] = [];
  const model = answerModel((_records, request, call) => {
    const records = read(request);
    seen.push(records);
    return reply(records, call);
  });
  return { model, seen };
}

const cases = [
  {
    name: 'xml',
    read: xmlPromptRecords,
    line: (r: PromptRecord, value: string) => `<item index="${r.index}"><sentiment>${value}</sentiment></item>`,
    join: (lines: string[]) => `<results>\n${lines.join('\n')}\n</results>`,
    cutOff: it,
  },
  {
    name: 'delimited',
    read: promptRecords,
    line: (r: PromptRecord, value: string) => `${r.index} | ${value}`,
    join: (lines: string[]) => lines.join('\n'),
    // A line cut mid-value looks complete; only finish_reason (`truncated`) tells.
    cutOff: it,
  },
] as const;

describe.each(cases)('$name end to end through mlPredict', ({ name, read, line, join, cutOff }) => {
  const options = { ...fast, responseFormat: name, valueField: 'sentiment' };
  const answerAll = (records: PromptRecord[]) => join(records.map((r) => line(r, upper(r.text))));

  it('answers every record, shuffled answers matched by index', async () => {
    const { model, seen } = formatModel(read, (records) => join([...records].reverse().map((r) => line(r, upper(r.text)))));
    const results = await predictAll(model, words(7), { ...options, batchSize: 7 });
    expect(results.map((r) => r.value)).toEqual(words(7).map(upper));
    expect(seen.map((s) => s.length)).toEqual([7]);
  });

  it('reads answers inside fences and prose', async () => {
    const { model } = formatModel(read, (records) => `Sure, here you go:\n\`\`\`${name}\n${answerAll(records)}\n\`\`\`\nLet me know!`);
    const results = await predictAll(model, words(3), options);
    expect(results.map((r) => r.value)).toEqual(words(3).map(upper));
  });

  it('asks again for a missing record, alone', async () => {
    const { model, seen } = formatModel(read, (records, call) => answerAll(call === 1 ? records.filter((r) => r.index !== 2) : records));
    const results = await predictAll(model, words(4), options);
    expect(results.map((r) => r.value)).toEqual(words(4).map(upper));
    expect(seen.map((s) => s.map((r) => r.text))).toEqual([words(4), ['word 1']]);
    expect(results[1]!.meta).toMatchObject({ attempts: 2, repairs: 1, via: 'single' });
  });

  it('distrusts an answer that gives a record two different values (the batch is split and asked again), and accepts agreeing duplicates', async () => {
    const { model, seen } = formatModel(read, (records, call) => {
      const lines = records.map((r) => line(r, upper(r.text)));
      lines.push(line(records[0]!, call === 1 ? 'OTHER' : upper(records[0]!.text)));
      return join(lines);
    });
    const results = await predictAll(model, words(3), options);
    expect(results.map((r) => r.value)).toEqual(words(3).map(upper));
    expect(seen.map((s) => s.map((r) => r.text))).toEqual([words(3), ['word 0', 'word 1'], ['word 2']]);
  });

  cutOff('salvages a cut-off answer and asks again for the rest', async () => {
    const { model, seen } = formatModel(read, (records) => {
      const full = answerAll(records);
      if (records.length < 4) return full;
      // Cut inside the third answer's value: the first two are complete.
      const third = full.indexOf(upper(records[2]!.text));
      return { text: full.slice(0, third + 3), finishReason: 'length' };
    });
    const results = await predictAll(model, words(4), options);
    expect(results.map((r) => r.value)).toEqual(words(4).map(upper));
    expect(seen.map((s) => s.length)).toEqual([4, 2]);
    expect(results.map((r) => r.meta.repairs)).toEqual([0, 0, 1, 1]);
  });

  it('splits a batch answered in prose down to single records', async () => {
    const { model, seen } = formatModel(read, (records) => (records.length > 1 ? 'I am sorry, I cannot do that.' : answerAll(records)));
    const results = await predictAll(model, words(2), options);
    expect(results.map((r) => r.value)).toEqual(words(2).map(upper));
    expect(seen.map((s) => s.length)).toEqual([2, 1, 1]);
  });
});

describe('delimited end to end, truncation', () => {
  it('drops a cut-off last line at a line break too', async () => {
    const { model, seen } = formatModel(promptRecords, (records) => {
      const lines = records.map((r) => `${r.index}|${upper(r.text)}`);
      return records.length === 3 ? { text: lines.slice(0, 2).join('\n') + '\n', finishReason: 'length' } : lines.join('\n');
    });
    const results = await predictAll(model, words(3), { ...fast, responseFormat: 'delimited' });
    expect(results.map((r) => r.value)).toEqual(words(3).map(upper));
    expect(seen.map((s) => s.length)).toEqual([3, 1]);
  });
});

describe('text format end to end', () => {
  it('takes the whole answer of a one-record request as its value', async () => {
    const model = answerModel(() => '  Line one.\nLine two.  ');
    const results = await predictAll(model, ['a', 'b'], { ...fast, responseFormat: 'text', batchSize: 1, instruction: 'Write two lines about it.' });
    expect(results.map((r) => r.value)).toEqual(['Line one.\nLine two.', 'Line one.\nLine two.']);
    expect(model.requests).toHaveLength(2);
    expect(model.requests[0]!.messages.at(-1)!.content).toBe('Write two lines about it.\n\na');
  });
});
