/**
 * The CLI's flags. The operator options come from the core's zod schema, kebab
 * cased, so a new option appears here by itself; options that only code can give
 * (callbacks, schedulers, zod schemas) are left to the library.
 */
import { optionsSchema } from '@mlpredict/core/internals';
import { OPTION_DESCRIPTIONS } from './option-descriptions.js';

/**
 * How a flag's value is read: `text` as given (numbers and enums too: the core's
 * validation converts and checks them, with its messages), `switch` without a
 * value (`--x` / `--no-x`), `json` parsed as JSON.
 */
export type FlagKind = 'text' | 'switch' | 'json';

export interface FlagSpec {
  /** Kebab-case name, without the dashes. */
  name: string;
  kind: FlagKind;
  /** The operator option this flag sets, for option flags. */
  option?: string;
  /** What the help shows as the value: `N`, `TEXT`, `json|xml|…`, `FILE`. */
  placeholder?: string;
  default?: unknown;
  description: string;
  short?: string;
  /** Listed under this heading in --help. */
  group: 'input and output' | 'model' | 'cost' | 'options' | 'run';
}

/** `batchTimeoutMs` → `batch-timeout-ms`. */
export function kebabCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

interface ZodDefLike {
  type: string;
  innerType?: ZodLike;
  out?: ZodLike;
  defaultValue?: unknown;
  entries?: Record<string, string>;
  options?: ZodLike[];
}
interface ZodLike {
  _zod: { def: ZodDefLike };
}

interface OptionShape {
  type: string;
  default?: unknown;
  values?: string[];
  unionOf?: string[];
}

/** Peels defaults, optionals and the string-to-number preprocessing off a schema. */
function describeSchema(schema: ZodLike, shape: Partial<OptionShape> = {}): OptionShape {
  const def = schema._zod.def;
  if (def.type === 'default') return describeSchema(def.innerType!, { ...shape, default: def.defaultValue });
  if (def.type === 'optional') return describeSchema(def.innerType!, shape);
  if (def.type === 'pipe') return describeSchema(def.out!, shape);
  return {
    ...shape,
    type: def.type,
    values: def.type === 'enum' ? Object.values(def.entries ?? {}) : undefined,
    unionOf: def.type === 'union' ? def.options!.map((o) => describeSchema(o).type) : undefined,
  };
}

function optionFlag(option: string, shape: OptionShape): FlagSpec | undefined {
  const base = { name: kebabCase(option), option, default: shape.default, description: OPTION_DESCRIPTIONS[option] ?? '', group: 'options' as const };
  switch (shape.type) {
    case 'number':
      return { ...base, kind: 'text', placeholder: 'N' };
    case 'string':
      return { ...base, kind: 'text', placeholder: 'TEXT' };
    case 'enum':
      return { ...base, kind: 'text', placeholder: shape.values!.join('|') };
    case 'boolean':
      return { ...base, kind: 'switch' };
    case 'record':
    case 'object':
      return { ...base, kind: 'json', placeholder: 'JSON' };
    case 'union':
      // `cache` (a switch or a cache object) is a switch here; `circuitBreaker` (false or an object) is JSON.
      if (shape.unionOf!.includes('boolean')) return { ...base, kind: 'switch' };
      // `batchSize`, `concurrency`: a number or 'auto'.
      if (shape.unionOf!.includes('literal') && shape.unionOf!.includes('number')) return { ...base, kind: 'text', placeholder: 'N|auto' };
      return { ...base, kind: 'json', placeholder: 'JSON' };
    default:
      // Callbacks, schedulers, AbortSignals, zod schemas: only code can pass them.
      return undefined;
  }
}

/** Options with flags of their own (`--price-input`, `--max-cost`, …); a `--config` file may still hold them. */
const OWN_FLAG_OPTIONS = new Set(['price', 'budget']);

/** The flags derived from the core's option schema, in its order. */
export function optionFlags(): FlagSpec[] {
  const shapeOf = optionsSchema.shape as unknown as Record<string, ZodLike>;
  const flags: FlagSpec[] = [];
  for (const [option, schema] of Object.entries(shapeOf)) {
    if (OWN_FLAG_OPTIONS.has(option)) continue;
    const shape = describeSchema(schema);
    const flag = optionFlag(option, shape);
    if (flag) flags.push(flag);
  }
  return flags;
}

/** Flags that belong to the CLI, not to the operator. */
const CLI_FLAGS: FlagSpec[] = [
  { name: 'input', short: 'i', kind: 'text', placeholder: 'FILE', description: 'read records from FILE (or give FILE alone: mlpredict reviews.csv; default, or -: stdin)', group: 'input and output' },
  { name: 'output', short: 'o', kind: 'text', placeholder: 'FILE', description: 'write the results to FILE (default, or -: stdout)', group: 'input and output' },
  { name: 'format', kind: 'text', placeholder: 'jsonl|csv|lines', description: 'input format (default: by extension — .csv, .jsonl/.ndjson, .txt — else JSON Lines if the input starts with {, [ or ", else lines)', group: 'input and output' },
  { name: 'output-format', kind: 'text', placeholder: 'jsonl|csv|json', description: 'output format (default: by --output\'s extension, else csv for CSV input, else jsonl)', group: 'input and output' },
  { name: 'merge', kind: 'switch', default: false, description: 'jsonl/json output: write each input object with the value added under the value field\'s name (or "value")', group: 'input and output' },
  { name: 'field', short: 'f', kind: 'text', option: 'textField', placeholder: 'NAME', description: 'which field of each record is its text; a.b for a nested one (→ textField)', group: 'input and output' },
  { name: 'resume', short: 'r', kind: 'switch', default: false, description: 'continue an interrupted run: keep the rows --output already holds and predict only the rest', group: 'run' },
  { name: 'labels', short: 'l', kind: 'text', placeholder: 'A,B,…', description: 'classify into these labels: sets the instruction, a {{labels}} variable, structured output, and makes any other answer a schema error', group: 'options' },
  { name: 'schema', kind: 'text', placeholder: 'FILE', description: 'a JSON Schema each value must match (a value that does not is a schema error)', group: 'options' },
  { name: 'model', short: 'm', kind: 'text', placeholder: 'ID', default: 'gpt-4o-mini', description: 'the model id or deployment name', group: 'model' },
  { name: 'base-url', kind: 'text', placeholder: 'URL', description: 'an OpenAI-compatible endpoint (default: $OPENAI_BASE_URL, then OpenAI)', group: 'model' },
  { name: 'api-key', kind: 'text', placeholder: 'KEY', description: 'the API key (prefer $OPENAI_API_KEY: flags show up in ps and shell history)', group: 'model' },
  { name: 'price-input', kind: 'text', placeholder: 'USD', description: 'price of a million prompt tokens, for the cost shown and --max-cost (default: the price table\'s, for known models)', group: 'cost' },
  { name: 'price-cached-input', kind: 'text', placeholder: 'USD', description: 'price of a million prompt tokens served from the provider\'s prompt cache (default: the table\'s, at most --price-input)', group: 'cost' },
  { name: 'price-output', kind: 'text', placeholder: 'USD', description: 'price of a million completion tokens', group: 'cost' },
  { name: 'max-cost', kind: 'text', placeholder: 'USD', description: 'spend at most this much: a request goes out only if its estimated cost fits what is left; the rows left get the "budget" error', group: 'cost' },
  { name: 'max-tokens-total', kind: 'text', placeholder: 'N', description: 'spend at most this many tokens (prompt + completion, as the server counts them), likewise', group: 'cost' },
  { name: 'deferred', kind: 'switch', default: false, description: 'send the whole input as batch jobs through the provider\'s Batch API (half price, answers within 24 h); needs --job-dir', group: 'run' },
  { name: 'job-dir', kind: 'text', placeholder: 'DIR', description: 'with --deferred: the folder that keeps the job (manifest, requests, answers); rerun with --resume to continue it, never submitting twice', group: 'run' },
  { name: 'poll-interval-ms', kind: 'text', placeholder: 'N', default: 15000, description: 'with --deferred: the first wait between checks on the job (it grows while nothing moves)', group: 'run' },
  { name: 'config', kind: 'text', placeholder: 'FILE', description: 'a JSON file of options (camelCase or dotted keys, plus "model", "baseURL"); flags override it', group: 'run' },
  { name: 'template-file', kind: 'text', placeholder: 'FILE', description: 'read --prompt-template from FILE', group: 'run' },
  { name: 'dry-run', short: 'n', kind: 'switch', default: false, description: 'print the first batch\'s prompt and an estimate of requests, tokens and cost, in real time and --deferred; send nothing', group: 'run' },
  { name: 'fail-on-error', kind: 'switch', default: false, description: 'exit 1 if any row has an error', group: 'run' },
  { name: 'grace-ms', kind: 'text', placeholder: 'N', default: 30000, description: 'after Ctrl-C or SIGTERM, how long the records in flight may take to finish (a second signal aborts them)', group: 'run' },
  { name: 'progress', kind: 'switch', default: true, description: 'progress on stderr: a bar on a terminal, else a line every few seconds (--no-progress: none)', group: 'run' },
  { name: 'version', short: 'v', kind: 'switch', description: 'print the version', group: 'run' },
  { name: 'help', short: 'h', kind: 'switch', description: 'show this help', group: 'run' },
];

/** Short names for the common option flags (the CLI's own carry theirs above). */
const OPTION_SHORTS: Readonly<Record<string, string>> = { 'batch-size': 'b', concurrency: 'c' };

/** Every flag the CLI accepts: its own, then the operator options. */
export function allFlags(): FlagSpec[] {
  const own = new Set(CLI_FLAGS.map((f) => f.name));
  const options = optionFlags()
    .filter((f) => !own.has(f.name))
    .map((f) => (OPTION_SHORTS[f.name] ? { ...f, short: OPTION_SHORTS[f.name] } : f));
  return [...CLI_FLAGS, ...options];
}
