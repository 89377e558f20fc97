/** Issue 13, point 6: a prompt template that can't work fails at construction, naming the fix. */
import { mlComplete, mlPredict, predictAll } from '@mlpredict/core';
import { resolveOptions } from '@mlpredict/core/internals';
import { checkTemplate } from '../prompt/check-template';
import { DEFAULT_DELIMITED_TEMPLATE } from '../formats/delimited/delimited-format';
import { DEFAULT_TEXT_TEMPLATE } from '../formats/text/text-format';
import { DEFAULT_XML_TEMPLATE } from '../formats/xml/xml-format';
import { DEFAULT_JSON_TEMPLATE } from '../formats/json/json-format';
import { answerModel, labelAll, upper } from './support/answer-model';

describe('checkTemplate', () => {
  it('refuses a template that renders no records, naming the option and a section to add', () => {
    for (const template of ['Classify: {{text}}', 'Classify {{#records}}{{index}}{{/records}}', 'None {{^records}}{{text}}{{/records}}', 'Classify {{! records }}']) {
      expect(() => checkTemplate(template, 'mlPredict')).toThrow(TypeError);
      expect(() => checkTemplate(template, 'mlPredict')).toThrow(
        /^mlPredict: invalid options:\n {2}- "promptTemplate" \(batch\.prompt\.template\): renders no records.*add a section such as \{\{#records\}\}Input \{\{index\}\}: \{\{textJson\}\}/s,
      );
    }
  });

  it('refuses malformed Mustache, saying where', () => {
    expect(() => checkTemplate('{{#records}}{{text}}', 'predictAll')).toThrow(/^predictAll: invalid options:\n {2}- "promptTemplate".*not valid Mustache \(Unclosed section "records" at 20\)/s);
    expect(() => checkTemplate('{{#records}}{{text}}{{/record}}', 'mlPredict')).toThrow(/not valid Mustache \(Unclosed section "records"/);
    expect(() => checkTemplate('{{#records}}{{text}{{/records}}', 'mlPredict')).toThrow(/not valid Mustache/);
  });

  it('accepts every way of rendering the records', () => {
    for (const template of [
      DEFAULT_JSON_TEMPLATE,
      DEFAULT_XML_TEMPLATE,
      DEFAULT_DELIMITED_TEMPLATE,
      DEFAULT_TEXT_TEMPLATE,
      '{{#records}}#{{index}} id={{input.id}}\n{{/records}}',
      '{{#records}}{{#input}}{{review}}{{/input}}{{/records}}',
      'All: {{recordsJson}}',
      'All: {{{recordsJson}}}',
      '{{#vars}}{{#records}}{{{text}}}{{/records}}{{/vars}}',
    ]) {
      expect(() => checkTemplate(template, 'mlPredict')).not.toThrow();
    }
  });
});

describe('at construction', () => {
  const model = answerModel(labelAll(upper));

  it('mlPredict and resolveOptions throw at once, dotted key included', () => {
    expect(() => mlPredict(model, { promptTemplate: 'Classify: {{text}}' })).toThrow(/renders no records/);
    expect(() => resolveOptions({ 'batch.prompt.template': '{{#records}}{{text}}' })).toThrow(/not valid Mustache/);
    expect(model.requests).toHaveLength(0);
  });

  it('a template from the model defaults is checked too', () => {
    const withDefaults = answerModel(labelAll(upper), { defaults: { promptTemplate: 'no records here' } });
    expect(() => mlPredict(withDefaults, {})).toThrow(/invalid options:\n {2}- "promptTemplate".*renders no records/s);
    expect(withDefaults.requests).toHaveLength(0);
  });

  it('a good template runs', async () => {
    const results = await predictAll(model, ['a', 'b'], { batchTimeoutMs: 0, valueField: 'answer', promptTemplate: 'Go.\n{{#records}}Input {{index}}: {{textJson}}\n{{/records}}' });
    expect(results.map((r) => r.value)).toEqual(['A', 'B']);
  });
});

describe('a template that hides the index, while answers are read by index', () => {
  const model = answerModel(labelAll(upper));
  const noIndex = ['{{#records}}- {{text}}\n{{/records}}', 'Classify:\n{{#records}}{{textJson}}\n{{/records}}', '{{#records}}{{#input.flag}}{{index}}{{/input.flag}} {{text}}\n{{/records}}'];

  it('is refused at construction for every indexed format with batches of several records, naming the option and both fixes', () => {
    for (const promptTemplate of noIndex) {
      for (const responseFormat of ['json', 'xml', 'delimited'] as const) {
        for (const batchSize of [2, 50, 'auto'] as const) {
          expect(() => mlPredict(model, { promptTemplate, responseFormat, batchSize })).toThrow(TypeError);
          expect(() => resolveOptions({ promptTemplate, responseFormat, batchSize })).toThrow(
            /^mlPredict: invalid options:\n {2}- "promptTemplate" \(batch\.prompt\.template\): shows the records without their \{\{index\}\}.*add \{\{index\}\} in the \{\{#records\}\} section.*or set batchSize: 1/s,
          );
        }
      }
    }
    expect(model.requests).toHaveLength(0);
  });

  it('is accepted when a batch holds one record, or the format reads no index', () => {
    for (const promptTemplate of noIndex) {
      expect(() => resolveOptions({ promptTemplate, batchSize: 1 })).not.toThrow();
      expect(() => resolveOptions({ promptTemplate, batchSize: 'auto', maxBatchSize: 1 })).not.toThrow();
      expect(() => resolveOptions({ promptTemplate, responseFormat: 'text', batchSize: 1 })).not.toThrow();
    }
  });

  it('accepts the index however it is shown: in the section, around the content, or in recordsJson', () => {
    for (const promptTemplate of [
      DEFAULT_JSON_TEMPLATE,
      DEFAULT_XML_TEMPLATE,
      DEFAULT_DELIMITED_TEMPLATE,
      '{{#records}}#{{index}} id={{input.id}}\n{{/records}}',
      '{{#records}}{{text}} (input {{{index}}})\n{{/records}}',
      '{{#records}}{{index}}: {{#input}}{{review}}{{/input}}\n{{/records}}',
      '{{#records}}{{#input}}{{index}}: {{review}}{{/input}}\n{{/records}}',
      'All: {{recordsJson}}',
      '{{#records}}{{text}}\n{{/records}}Again, numbered: {{{recordsJson}}}',
    ]) {
      expect(() => resolveOptions({ promptTemplate, batchSize: 10 })).not.toThrow();
    }
  });

  it('mlComplete: refused when batched, accepted one record per call', () => {
    expect(() => mlComplete(model, { promptTemplate: '{{#records}}{{text}}{{/records}}', batchSize: 20 })).toThrow(/mlComplete: invalid options:.*without their \{\{index\}\}/s);
    expect(() => mlComplete(model, { promptTemplate: 'Summarize: {{#records}}{{text}}{{/records}}', batchSize: 1 })).not.toThrow();
  });
});
