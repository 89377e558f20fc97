/**
 * The parse stage for `responseFormat: 'xml'`: model text → `{ index, value }`
 * answers from `<item index="n">value</item>` elements (or `<item index="n">
 * <sentiment>value</sentiment></item>` when `valueField` names a child element).
 *
 * A small scanner, not an XML parser, on purpose: what models send is rarely a
 * well-formed document — code fences, prose with stray `<` around it, an answer cut
 * off mid-element — and a parser (fast-xml-parser included) either rejects the
 * whole text or guesses at the unclosed rest. Scanning for complete elements keeps
 * every complete answer, drops the cut-off one, and ignores everything else.
 */
import { parseIndex, type RawAnswer, type ReadAnswers } from '../json/read-json-answers.js';

export interface XmlAnswerOptions {
  /** The attribute (or child element) holding the record's index. */
  indexField: string;
  /** A child element (or attribute) holding the value; else the element's own text. */
  valueField?: string;
}

const NAME = '[A-Za-z_][\\w.-]*';
const CDATA = /<!\[CDATA\[([\s\S]*?)\]\]>/g;
/** Something that looks like an element tag, as opposed to a stray `<` in text. */
const TAG = new RegExp(`</?${NAME}`);

/**
 * @example
 * readXmlAnswers('<results><item index="2">neg</item><item index="1"><sentiment>pos</sentiment></item></results>', { indexField: 'index', valueField: 'sentiment' })
 * // → { answers: [{ index: 2, value: 'neg' }, { index: 1, value: 'pos' }], partial: false, unusable: false, warnings: [] }
 */
export function readXmlAnswers(text: string, options: XmlAnswerOptions): ReadAnswers {
  const warnings: string[] = [];
  const answers: RawAnswer[] = [];
  let unindexed: unknown;
  let end = 0;
  // An element whose opening tag carries the index attribute, or an <item> (index as a child element then).
  const open = new RegExp(`<(${NAME})((?:\\s[^<>]*?)?)(/?)>`, 'g');
  for (let m = open.exec(text); m !== null; m = open.exec(text)) {
    const [tag, name, attrText, selfClosing] = m as unknown as [string, string, string, string];
    const attrs = readAttributes(attrText);
    const indexed = options.indexField in attrs;
    if (!indexed && name !== 'item') continue;
    let inner = '';
    if (!selfClosing) {
      const close = findClose(text, name, open.lastIndex);
      if (close === undefined) continue; // cut off (or never closed): not an answer
      inner = text.slice(open.lastIndex, close.start);
      open.lastIndex = close.end;
    }
    end = open.lastIndex;
    const rawIndex = indexed ? attrs[options.indexField] : childText(inner, options.indexField);
    // A self-closing item answers only through a value attribute.
    const value = selfClosing ? (options.valueField === undefined ? undefined : attrs[options.valueField]) : valueOf(inner, attrs, options);
    const index = rawIndex === undefined ? undefined : parseIndex(rawIndex);
    if (index === undefined) {
      unindexed ??= value;
      continue;
    }
    if (value === undefined) {
      warnings.push(`ignored an item without ${options.valueField === undefined ? 'a value' : `<${options.valueField}>`}: ${(tag + inner).slice(0, 80)}`);
      continue;
    }
    answers.push({ index, value });
  }
  // An unindexed answer for a one-record request may also be a bare <sentiment>…</sentiment>.
  if (answers.length === 0 && unindexed === undefined && options.valueField !== undefined) unindexed = childText(text, options.valueField);
  const rest = text.slice(end);
  // Cut off: an answer element opened after the last complete one, or the text ends inside a tag.
  const partial = answers.length > 0 && (new RegExp(`<(?:item\\b|${NAME}\\s[^<>]*\\b${escapeRegExp(options.indexField)}\\s*=)`).test(rest) || /<\/?[A-Za-z_][^<>]*$/.test(rest));
  return { answers, partial, unusable: answers.length === 0, unindexed, warnings };
}

/** `index="3" sentiment='pos' n=4` → `{ index: '3', sentiment: 'pos', n: '4' }`, entities decoded. */
function readAttributes(text: string): Record<string, string> {
  const attrs: Record<string, string> = {};
  for (const m of text.matchAll(new RegExp(`(${NAME})\\s*=\\s*(?:"([^"]*)"|'([^']*)'|([^\\s"'>/]+))`, 'g'))) {
    attrs[m[1]!] = decodeEntities(m[2] ?? m[3] ?? m[4] ?? '');
  }
  return attrs;
}

/** The matching `</name>` after `from`, counting nested same-name elements. */
function findClose(text: string, name: string, from: number): { start: number; end: number } | undefined {
  const tags = new RegExp(`<(/?)${escapeRegExp(name)}(?:\\s[^<>]*?)?(/?)\\s*>`, 'g');
  tags.lastIndex = from;
  let depth = 1;
  for (let m = tags.exec(text); m !== null; m = tags.exec(text)) {
    if (m[1]) depth--;
    else if (!m[2]) depth++;
    if (depth === 0) return { start: m.index, end: tags.lastIndex };
  }
  return undefined;
}

function valueOf(inner: string, attrs: Record<string, string>, options: XmlAnswerOptions): unknown {
  if (options.valueField !== undefined) {
    const child = childText(inner, options.valueField);
    if (child !== undefined) return child;
    if (options.valueField in attrs) return attrs[options.valueField];
  }
  const own = inner.replace(new RegExp(`<${escapeRegExp(options.indexField)}>[\\s\\S]*?</${escapeRegExp(options.indexField)}\\s*>`), '');
  if (!TAG.test(own.replace(CDATA, ''))) return textContent(own);
  if (options.valueField !== undefined) return undefined;
  // No value field, as with json: the item's child elements (less its index) are the value.
  const fields: Record<string, string> = {};
  for (const m of own.matchAll(new RegExp(`<(${NAME})(?:\\s[^<>]*)?>([\\s\\S]*?)</\\1\\s*>`, 'g'))) fields[m[1]!] ??= textContent(m[2]!);
  return Object.keys(fields).length > 0 ? fields : undefined;
}

/** The text of the first `<name>…</name>` in `xml`, or undefined. */
function childText(xml: string, name: string): string | undefined {
  const m = new RegExp(`<${escapeRegExp(name)}(?:\\s[^<>]*)?>([\\s\\S]*?)</${escapeRegExp(name)}\\s*>`).exec(xml);
  return m ? textContent(m[1]!) : undefined;
}

/** Text with entities decoded, CDATA taken literally, surrounding space trimmed. */
function textContent(xml: string): string {
  let out = '';
  let last = 0;
  for (const m of xml.matchAll(CDATA)) {
    out += decodeEntities(xml.slice(last, m.index)) + m[1];
    last = m.index + m[0].length;
  }
  return (out + decodeEntities(xml.slice(last))).trim();
}

const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** `&lt;`, `&amp;`, `&quot;`, `&#39;`, `&#x27;`, … → the characters they stand for; other `&` text is left alone. */
export function decodeEntities(text: string): string {
  return text.replace(/&(?:#(\d+)|#x([0-9a-fA-F]+)|(amp|lt|gt|quot|apos));/g, (whole, dec?: string, hex?: string, named?: string) => {
    if (named) return NAMED[named]!;
    const code = dec !== undefined ? Number(dec) : parseInt(hex!, 16);
    return code <= 0x10ffff ? String.fromCodePoint(code) : whole;
  });
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
