/**
 * Renders a batch answer in the shape a prompt asked for. The simulator and the
 * fake models both answer through this (defects included), so they write alike.
 */
import type { AnswerLayout } from './prompt-reading.js';

/** One answer: an index (a string with the `stringIndex` defect) and its value. */
export interface AnswerItem {
  index: number | string;
  value: unknown;
}

/** How to write the answers. */
export interface AnswerShape {
  layout: AnswerLayout;
  indexField: string;
  valueField: string;
  /** JSON only: wrap the array as `{ [wrapIn]: [...] }` (JSON mode, a schema with an object root). */
  wrapIn?: string;
  /** JSON only: `JSON.stringify(…, null, 2)`. */
  pretty?: boolean;
}

/**
 * @example
 * writeAnswer([{ index: 1, value: 'positive' }], { layout: { kind: 'json' }, indexField: 'index', valueField: 'sentiment' });
 * // → '[{"index":1,"sentiment":"positive"}]'
 * writeAnswer([{ index: 1, value: 'positive' }], { layout: { kind: 'delimited', delimiter: '|' }, indexField: 'index', valueField: 'sentiment' });
 * // → '1|positive'
 */
export function writeAnswer(items: readonly AnswerItem[], shape: AnswerShape): string {
  switch (shape.layout.kind) {
    case 'json': {
      const array = items.map((item) => ({ [shape.indexField]: item.index, [shape.valueField]: item.value }));
      const root = shape.wrapIn === undefined ? array : { [shape.wrapIn]: array };
      return shape.pretty ? JSON.stringify(root, null, 2) : JSON.stringify(root);
    }
    case 'xml':
      return items
        .map((item) => `<item ${shape.indexField}="${escapeXml(String(item.index))}"><${shape.valueField}>${escapeXml(valueText(item.value))}</${shape.valueField}></item>`)
        .join('\n');
    case 'delimited': {
      const delimiter = shape.layout.delimiter;
      // One line per answer: a line break inside a value would start a false answer.
      return items.map((item) => `${item.index}${delimiter}${valueText(item.value).replace(/\s*\r?\n\s*/g, ' ')}`).join('\n');
    }
  }
}

/**
 * A value as plain text: strings as they are, anything else as JSON.
 *
 * @example
 * valueText('positive'); // → 'positive'
 * valueText({ score: 3 }); // → '{"score":3}'
 */
export function valueText(value: unknown): string {
  return typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
