/**
 * A prompt cache like OpenAI's automatic prefix caching: a prompt of at least
 * `minTokens` tokens is remembered by its prefixes, in blocks of `blockTokens`;
 * a later prompt that begins with a remembered prefix reports that prefix's
 * tokens as `cached_tokens` — 0, or `minTokens` plus whole blocks. So a batch
 * prompt whose stable part (system prompt, instruction) comes first and is long
 * enough is partly cached, and one that puts the records first never is.
 */
import { createHash, type Hash } from 'node:crypto';

/** The `promptCache` option: OpenAI's numbers by default (1,024 tokens, then blocks of 128). */
export interface PromptCacheSettings {
  /** Prompts shorter than this are neither cached nor served from the cache (default 1024). */
  minTokens?: number;
  /** Cached prefixes grow in blocks of this many tokens (default 128). */
  blockTokens?: number;
}

/** Characters a token stands for, as the simulator's token estimate counts them. */
const CHARS_PER_TOKEN = 4;
/** Prefixes remembered before the cache starts afresh, so a long run's memory stays bounded. */
const MAX_PREFIXES = 200_000;

/**
 * @example
 * const cache = new PromptCache({ minTokens: 8, blockTokens: 4 });
 * cache.lookup('x'.repeat(40) + 'first');  // → 0: nothing seen yet
 * cache.lookup('x'.repeat(40) + 'second'); // → 8: its first 32 characters (8 tokens) were seen before
 */
export class PromptCache {
  readonly #minTokens: number;
  readonly #blockTokens: number;
  readonly #seen = new Set<string>();

  constructor(settings: PromptCacheSettings = {}) {
    this.#minTokens = settings.minTokens ?? 1024;
    this.#blockTokens = settings.blockTokens ?? 128;
  }

  /** The tokens of `prompt`'s longest remembered prefix; then remembers its own prefixes. */
  lookup(prompt: string): number {
    const wholeTokens = Math.floor(prompt.length / CHARS_PER_TOKEN);
    if (wholeTokens < this.#minTokens) return 0;
    if (this.#seen.size > MAX_PREFIXES) this.#seen.clear();
    let cached = 0;
    let hashed = 0;
    const hash: Hash = createHash('sha1');
    for (let tokens = this.#minTokens; tokens <= wholeTokens; tokens += this.#blockTokens) {
      const end = tokens * CHARS_PER_TOKEN;
      hash.update(prompt.slice(hashed, end));
      hashed = end;
      const key = `${tokens}:${hash.copy().digest('base64')}`;
      // Prefixes are remembered whole, so once one is new, every longer one is too.
      if (this.#seen.has(key)) cached = tokens;
      else this.#seen.add(key);
    }
    return cached;
  }
}
