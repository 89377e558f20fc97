/**
 * The parse stage for `responseFormat: 'xml'`: model text → `{ index, value }`
 * answers from `<item index="n">value</item>` elements (or `<item index="n">
 * <sentiment>value</sentiment></item>` when `valueField` names a child element).
 *
 * A small scanner, not an XML parser, on purpose: what models send is rarely a
 * well-formed document — code fences, prose with stray `<` around it, an answer cut
 * off mid-element — and a parser (fast-xml-parser included) either rejects the
 * whole text or guesses at the unclosed rest. Scanning for complete elements keeps
 * every complete answer, drops the cut-off one, and ignores everything else. The
 * tags are found once (xml-tags.ts), so reading is linear in the text's length.
 */
import { answerBody } from '../answer-body.js';
import { parseIndex, type RawAnswer, type ReadAnswers } from '../answers.js';
import { MAX_ANSWERS, readWork, tooManyAnswers } from '../read-work.js';
import { findTags, readAttributes, decodeEntities, type TagList } from './xml-tags.js';

export { decodeEntities } from './xml-tags.js';

export interface XmlAnswerOptions {
  /** The attribute (or child element) holding the record's index. */
  indexField: string;
  /** A child element (or attribute) holding the value; else the element's own text. */
  valueField?: string;
}

/** An element's content: text positions and the tags inside it (`[first, last)`). */
interface Content {
  from: number;
  to: number;
  first: number;
  last: number;
}

const MAX_ITEM_WARNINGS = 5;

/**
 * @example
 * readXmlAnswers('<results><item index="2">neg</item><item index="1"><sentiment>pos</sentiment></item></results>', { indexField: 'index', valueField: 'sentiment' })
 * // → { answers: [{ index: 2, value: 'neg' }, { index: 1, value: 'pos' }], partial: false, unusable: false, warnings: [] }
 */
export function readXmlAnswers(text: string, options: XmlAnswerOptions): ReadAnswers {
  const reader = new XmlReader(text, findTags(text), options);
  const warnings: string[] = [];
  const answers: RawAnswer[] = [];
  let ignored = 0;
  const { tags, matching } = reader.list;
  let end = 0;
  for (let t = 0; t < tags.length; t++) {
    const tag = tags[t]!;
    // Tags inside an element already read are its content, not answers of their own.
    if (tag.close || tag.start < end) continue;
    const attrs = readAttributes(tag.attrText);
    const indexed = options.indexField in attrs;
    // An element whose opening tag carries the index attribute, or an <item> (index as a child element then).
    if (!indexed && tag.name !== 'item') continue;
    const close = tag.selfClosing ? t : matching[t]!;
    if (close === -1) continue; // cut off (or never closed): not an answer
    end = tags[close]!.end;
    const content = reader.content(t, close);
    const rawIndex = indexed ? attrs[options.indexField] : reader.childText(content, options.indexField);
    const index = rawIndex === undefined ? undefined : parseIndex(rawIndex);
    if (index === undefined) continue;
    const value = reader.valueOf(content, attrs, tag.selfClosing);
    if (value === undefined) {
      if (++ignored <= MAX_ITEM_WARNINGS) {
        warnings.push(`ignored an item without ${options.valueField === undefined ? 'a value' : `<${options.valueField}>`}: ${text.slice(tag.start, Math.min(tags[close]!.end, tag.start + 80))}`);
      }
      continue;
    }
    if (answers.push({ index, value }) > MAX_ANSWERS) return tooManyAnswers();
  }
  if (ignored > MAX_ITEM_WARNINGS) warnings.push(`ignored ${ignored - MAX_ITEM_WARNINGS} more items without a value`);
  const unindexed = answers.length === 0 ? reader.loneAnswer() : undefined;
  const partial = answers.length > 0 && reader.cutOffAfter(end);
  return { answers, partial, unusable: answers.length === 0, ...(unindexed !== undefined && { unindexed }), warnings };
}

class XmlReader {
  readonly text: string;
  readonly list: TagList;
  readonly options: XmlAnswerOptions;

  constructor(text: string, list: TagList, options: XmlAnswerOptions) {
    this.text = text;
    this.list = list;
    this.options = options;
  }

  /** The content of the element opened by tag `open` and closed by tag `close` (the same tag when self-closing). */
  content(open: number, close: number): Content {
    const { tags } = this.list;
    if (open === close) return { from: tags[open]!.end, to: tags[open]!.end, first: open + 1, last: open + 1 };
    return { from: tags[open]!.end, to: tags[close]!.start, first: open + 1, last: close };
  }

  /** The first `<name>…</name>` child (up to its nearest close) in `content`, as [open, close] tag indices. */
  child(content: Content, name: string): [number, number] | undefined {
    const { tags, nearestClose } = this.list;
    readWork.characters += content.last - content.first;
    for (let t = content.first; t < content.last; t++) {
      const tag = tags[t]!;
      if (tag.close || tag.selfClosing || tag.name !== name) continue;
      const close = nearestClose[t]!;
      return close !== -1 && close < content.last ? [t, close] : undefined;
    }
    return undefined;
  }

  /** The text of the first `<name>…</name>` in `content`, or undefined. */
  childText(content: Content, name: string): string | undefined {
    const found = this.child(content, name);
    return found && this.#textOf(this.list.tags[found[0]]!.end, this.list.tags[found[1]]!.start);
  }

  valueOf(content: Content, attrs: Record<string, string>, selfClosing: boolean): unknown {
    const { valueField, indexField } = this.options;
    // A self-closing item answers only through a value attribute.
    if (selfClosing) return valueField === undefined ? undefined : attrs[valueField];
    if (valueField !== undefined) {
      const child = this.childText(content, valueField);
      if (child !== undefined) return child;
      if (valueField in attrs) return attrs[valueField];
    }
    const { tags, nearestClose } = this.list;
    const indexChild = this.child(content, indexField);
    const hasTags = content.last - content.first > (indexChild ? indexChild[1] - indexChild[0] + 1 : 0);
    if (!hasTags) {
      if (!indexChild) return this.#textOf(content.from, content.to);
      readWork.characters += content.to - content.from;
      return textContent(this.text.slice(content.from, tags[indexChild[0]]!.start) + this.text.slice(tags[indexChild[1]]!.end, content.to));
    }
    if (valueField !== undefined) return undefined;
    // No value field, as with json: the item's child elements (less its index) are the value.
    const fields: Record<string, string> = {};
    for (let t = content.first; t < content.last; t++) {
      const tag = tags[t]!;
      if (indexChild && t === indexChild[0]) {
        t = indexChild[1];
        continue;
      }
      const close = nearestClose[t]!;
      if (tag.close || tag.selfClosing || close === -1 || close >= content.last) continue;
      fields[tag.name] ??= this.#textOf(tag.end, tags[close]!.start);
      t = close;
    }
    return Object.keys(fields).length > 0 ? fields : undefined;
  }

  /**
   * For a one-record request: the value of an element without an index that is
   * the entire answer (an `<item>` or a bare `<sentiment>`), fence and space aside.
   */
  loneAnswer(): unknown {
    const [from, to] = answerBody(this.text);
    const { tags, matching } = this.list;
    const t = tags.findIndex((tag) => tag.start >= from);
    const tag = tags[t];
    if (tag === undefined || tag.start !== from || tag.close) return undefined;
    const close = tag.selfClosing ? t : matching[t]!;
    if (close === -1 || tags[close]!.end !== to) return undefined;
    const content = this.content(t, close);
    const attrs = readAttributes(tag.attrText);
    if (tag.name === this.options.valueField && !tag.selfClosing) return this.#textOf(content.from, content.to);
    if (tag.name !== 'item' || this.options.indexField in attrs || this.child(content, this.options.indexField)) return undefined;
    return this.valueOf(content, attrs, tag.selfClosing);
  }

  /** Cut off after `end`: an answer element opened and never closed, or the text ends inside a tag. */
  cutOffAfter(end: number): boolean {
    const { tags } = this.list;
    for (let t = tags.length - 1; t >= 0 && tags[t]!.start >= end; t--) {
      const tag = tags[t]!;
      if (!tag.close && (tag.name === 'item' || this.options.indexField in readAttributes(tag.attrText))) return true;
    }
    const lastOpen = this.text.lastIndexOf('<');
    return lastOpen >= end && !this.text.includes('>', lastOpen) && /^<\/?[A-Za-z_]/.test(this.text.slice(lastOpen, lastOpen + 3));
  }

  #textOf(from: number, to: number): string {
    readWork.characters += to - from;
    return textContent(this.text.slice(from, to));
  }
}

/** Text with entities decoded, CDATA taken literally, surrounding space trimmed. */
function textContent(xml: string): string {
  let out = '';
  let at = 0;
  for (let open = xml.indexOf('<![CDATA[', at); open !== -1; open = xml.indexOf('<![CDATA[', at)) {
    const close = xml.indexOf(']]>', open + 9);
    if (close === -1) break;
    out += decodeEntities(xml.slice(at, open)) + xml.slice(open + 9, close);
    at = close + 3;
  }
  return (out + decodeEntities(xml.slice(at))).trim();
}
