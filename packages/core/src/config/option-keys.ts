/**
 * The proposal's dotted option keys (Flink's `CREATE MODEL … WITH` and query-level
 * `MAP[…]`) and the camelCase names they stand for.
 */
export const DOTTED_KEYS = {
  'batch.size': 'batchSize',
  'batch.timeout.ms': 'batchTimeoutMs',
  'batch.max.tokens': 'maxBatchTokens',
  'batch.prompt.template': 'promptTemplate',
  'system.prompt': 'systemPrompt',
  'response.format': 'responseFormat',
  'response.path': 'responsePath',
  'response.index.field': 'indexField',
  'response.value.field': 'valueField',
  'response.delimiter': 'delimiter',
  'max.retries': 'maxRetries',
  'request.timeout.ms': 'requestTimeoutMs',
} as const;

export type DottedKey = keyof typeof DOTTED_KEYS;

/** camelCase name → its dotted key, for messages and docs. */
export const DOTTED_BY_NAME: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(DOTTED_KEYS).map(([dotted, name]) => [name, dotted]),
);

/** `'batchSize'` → `'batchSize' (batch.size)` when the option has a dotted twin. */
export function describeOption(name: string): string {
  const dotted = DOTTED_BY_NAME[name];
  return dotted ? `"${name}" (${dotted})` : `"${name}"`;
}

/**
 * Rewrites dotted keys to camelCase; throws when both spellings of one option are given.
 *
 * @example
 * normalizeKeys({ 'batch.size': '50' }) // → { batchSize: '50' }
 */
export function normalizeKeys(options: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    const name = (DOTTED_KEYS as Record<string, string>)[key] ?? key;
    if (name in out && key !== name) {
      throw new TypeError(`Option ${describeOption(name)} is given twice, as "${name}" and "${key}"; keep one.`);
    }
    out[name] = value;
  }
  return out;
}
