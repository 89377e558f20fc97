/**
 * The tags of a text that may hold XML, found in one pass: what the xml reader
 * works from. Not an XML parser (see read-xml-answers.ts for why): anything that
 * isn't a complete tag is text, CDATA sections are text, and every open tag learns
 * its matching close (nested same-name elements counted) and its nearest close,
 * so reading stays linear in the text's length whatever it holds.
 */
import { readWork } from '../read-work.js';

export interface Tag {
  close: boolean;
  name: string;
  /** Where `<` is. */
  start: number;
  /** Just after `>`. */
  end: number;
  selfClosing: boolean;
  /** What lies between the name and `>` (attributes), the self-closing `/` left out. */
  attrText: string;
}

export interface TagList {
  tags: Tag[];
  /** Per open tag: the index of its matching close (same-name elements nested inside counted), or -1. */
  matching: Int32Array;
  /** Per open tag: the index of the first close with its name after it, or -1. */
  nearestClose: Int32Array;
}

/**
 * @example
 * const { tags, matching } = findTags('<a><a>x</a></a>');
 * tags.map((t) => (t.close ? '/' : '') + t.name); // → ['a', 'a', '/a', '/a']
 * matching[0]; // → 3
 */
export function findTags(text: string): TagList {
  const tags: Tag[] = [];
  let scanned = 0;
  for (let i = text.indexOf('<'); i !== -1; ) {
    if (text.startsWith('<![CDATA[', i)) {
      const close = text.indexOf(']]>', i + 9);
      // An unclosed CDATA section holds the rest of the text.
      if (close === -1) break;
      i = text.indexOf('<', close + 3);
      continue;
    }
    const { tag, reached } = readTag(text, i);
    scanned += reached - i;
    i = text.indexOf('<', tag?.end ?? i + 1);
    if (tag) tags.push(tag);
  }
  readWork.characters += text.length + scanned;

  const matching = new Int32Array(tags.length).fill(-1);
  const nearestClose = new Int32Array(tags.length).fill(-1);
  const open = new Map<string, number[]>();
  tags.forEach((tag, t) => {
    if (tag.selfClosing) return;
    const stack = open.get(tag.name);
    if (!tag.close) {
      if (stack) stack.push(t);
      else open.set(tag.name, [t]);
    } else if (stack?.length) matching[stack.pop()!] = t;
  });
  const next = new Map<string, number>();
  for (let t = tags.length - 1; t >= 0; t--) {
    const tag = tags[t]!;
    if (tag.close) next.set(tag.name, t);
    else if (!tag.selfClosing) nearestClose[t] = next.get(tag.name) ?? -1;
  }
  return { tags, matching, nearestClose };
}

/**
 * `index="3" sentiment='pos' n=4` → `{ index: '3', sentiment: 'pos', n: '4' }`, entities decoded.
 *
 * @example
 * readAttributes(' index="3" label=\'a &amp; b\' n=4') // → { index: '3', label: 'a & b', n: '4' }
 */
export function readAttributes(text: string): Record<string, string> {
  const attrs: Record<string, string> = {};
  let i = 0;
  while (i < text.length) {
    if (!isNameStart(text.charCodeAt(i))) {
      i++;
      continue;
    }
    const nameStart = i;
    while (i < text.length && isNameChar(text.charCodeAt(i))) i++;
    const name = text.slice(nameStart, i);
    let j = skipSpace(text, i);
    if (text[j] !== '=') continue;
    j = skipSpace(text, j + 1);
    const quote = text[j];
    if (quote === '"' || quote === "'") {
      const close = text.indexOf(quote, j + 1);
      if (close === -1) continue;
      attrs[name] = decodeEntities(text.slice(j + 1, close));
      i = close + 1;
      continue;
    }
    let k = j;
    while (k < text.length && !isSpace(text.charCodeAt(k)) && !`"'>/`.includes(text[k]!)) k++;
    if (k > j) attrs[name] = decodeEntities(text.slice(j, k));
    i = Math.max(k, i);
  }
  return attrs;
}

const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/**
 * `&lt;`, `&amp;`, `&quot;`, `&#39;`, `&#x27;`, … → the characters they stand for; other `&` text is left alone.
 *
 * @example
 * decodeEntities('a &lt; b &amp; c &#x27;d&#39;') // → "a < b & c 'd'"
 */
export function decodeEntities(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(/&(?:#(\d{1,7})|#x([0-9a-fA-F]{1,6})|(amp|lt|gt|quot|apos));/g, (whole, dec?: string, hex?: string, named?: string) => {
    if (named) return NAMED[named]!;
    const code = dec !== undefined ? Number(dec) : parseInt(hex!, 16);
    return code <= 0x10ffff ? String.fromCodePoint(code) : whole;
  });
}

/**
 * The tag starting at `<` at `start`, or undefined when it isn't one (a stray `<`,
 * a tag never closed by `>`); `reached` is how far it looked, for the work count.
 */
function readTag(text: string, start: number): { tag?: Tag; reached: number } {
  let i = start + 1;
  const close = text[i] === '/';
  if (close) i++;
  if (!isNameStart(text.charCodeAt(i))) return { reached: i + 1 };
  const nameStart = i;
  while (i < text.length && isNameChar(text.charCodeAt(i))) i++;
  const name = text.slice(nameStart, i);
  const c = text[i];
  if (c === '>') return { tag: { close, name, start, end: i + 1, selfClosing: false, attrText: '' }, reached: i + 1 };
  if (!close && c === '/' && text[i + 1] === '>') return { tag: { close, name, start, end: i + 2, selfClosing: true, attrText: '' }, reached: i + 2 };
  if (c === undefined || !isSpace(text.charCodeAt(i))) return { reached: i + 1 };
  // Attributes run to the first `>`; a `<` first means this was no tag.
  let gt = i;
  while (gt < text.length && text[gt] !== '>' && text[gt] !== '<') gt++;
  if (text[gt] !== '>') return { reached: gt };
  const selfClosing = !close && text[gt - 1] === '/';
  return { tag: { close, name, start, end: gt + 1, selfClosing, attrText: text.slice(i, selfClosing ? gt - 1 : gt) }, reached: gt + 1 };
}

function skipSpace(text: string, i: number): number {
  while (i < text.length && isSpace(text.charCodeAt(i))) i++;
  return i;
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x0b || c === 0x0c || c === 0xa0;
}

/** `[A-Za-z_]` */
function isNameStart(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f;
}

/** `[\w.-]` */
function isNameChar(c: number): boolean {
  return isNameStart(c) || (c >= 0x30 && c <= 0x39) || c === 0x2e || c === 0x2d;
}
