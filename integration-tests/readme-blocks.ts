/**
 * The code blocks of a README, and what the docs test does with each: run it as
 * TypeScript, run it as a shell script, or show it. markdown-it does the Markdown
 * (fences, HTML comments); this module only reads the fence's language and the
 * `<!-- not run: reason -->` comment right before a block.
 */
import { readFileSync } from 'node:fs';
import MarkdownIt from 'markdown-it';

/** How the docs test treats a block. */
export type BlockKind = 'typescript' | 'shell' | 'shown';

export interface CodeBlock {
  /** `README.md:42`: where the block's fence opens (1-based line). */
  where: string;
  /** The fence's language, lower-cased (`ts`, `sh`, `text`, …); `''` when it has none. */
  lang: string;
  code: string;
  /** What the test does with it; `undefined` for a language the test can't place (an error). */
  kind: BlockKind | undefined;
  /** The reason given in a `<!-- not run: reason -->` comment just before the block. */
  notRun?: string;
}

const TYPESCRIPT = new Set(['ts', 'typescript', 'js', 'javascript', 'mjs', 'mts']);
const SHELL = new Set(['sh', 'bash', 'shell']);
// Output and data: shown as they are, never run.
const SHOWN = new Set(['text', 'console', 'json', 'jsonl', 'output', 'diff']);
const NOT_RUN = /^<!--\s*not run\b:?\s*(.*?)\s*-->\s*$/s;

function kindOf(lang: string): BlockKind | undefined {
  if (TYPESCRIPT.has(lang)) return 'typescript';
  if (SHELL.has(lang)) return 'shell';
  if (SHOWN.has(lang)) return 'shown';
  return undefined;
}

/**
 * Every fenced or indented code block of a Markdown file, in order.
 *
 * @example
 * readmeBlocks('/repo/README.md', 'README.md')
 * // → [{ where: 'README.md:21', lang: 'sh', kind: 'shell', notRun: 'the set-up commands; …', code: 'npm i -g pnpm …' }, …]
 */
export function readmeBlocks(path: string, label: string): CodeBlock[] {
  const tokens = new MarkdownIt({ html: true }).parse(readFileSync(path, 'utf8'), {});
  const blocks: CodeBlock[] = [];
  tokens.forEach((token, i) => {
    if (token.type !== 'fence' && token.type !== 'code_block') return;
    const lang = token.type === 'fence' ? token.info.trim().split(/\s+/)[0]!.toLowerCase() : '';
    const previous = tokens[i - 1];
    const marker = previous?.type === 'html_block' ? NOT_RUN.exec(previous.content.trim()) : null;
    blocks.push({
      where: `${label}:${(token.map?.[0] ?? 0) + 1}`,
      lang,
      code: token.content,
      kind: kindOf(lang),
      ...(marker ? { notRun: marker[1] ?? '' } : {}),
    });
  });
  return blocks;
}

/** What is wrong with a block's marking, or `undefined` when nothing is. */
export function markingProblem(block: CodeBlock): string | undefined {
  if (block.lang === '') return 'has no language: fence it as ts, sh, or text (output)';
  if (block.kind === undefined) return `has the language '${block.lang}', which the docs test can neither run nor show`;
  if (block.notRun === '') return 'says "not run" without a reason: <!-- not run: why -->';
  if (block.notRun !== undefined && block.kind === 'shown') return `is ${block.lang}, never run anyway: drop the "not run" comment`;
  return undefined;
}

/** The blocks the docs test runs: TypeScript and shell ones without a "not run" comment. */
export function runnableBlocks(blocks: CodeBlock[], kind: 'typescript' | 'shell'): CodeBlock[] {
  return blocks.filter((b) => b.kind === kind && b.notRun === undefined);
}
