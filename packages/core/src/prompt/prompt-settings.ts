/**
 * What the render stage reads, resolved once (defaults filled in by the
 * response format): the template, the system prompt, the fields every record's
 * view shares, and how a record becomes text.
 */
import type { RecordTextOptions } from './record-text.js';

export interface PromptSettings extends RecordTextOptions {
  /** Mustache, with the view `renderMessages` documents. */
  template: string;
  /** Sent first as a system message; empty: none. */
  systemPrompt: string;
  /** The index the first record of a request gets (0 or 1). */
  indexBase: number;
  indexField: string;
  /** Fields the whole view shares: `instruction`, `valueField`, the format's own options, the user's `vars`. */
  shared: Readonly<Record<string, unknown>>;
  /** Extra per-record fields the format's templates use (xml: `xmlText`). */
  recordView?: (text: string) => Record<string, string>;
}
