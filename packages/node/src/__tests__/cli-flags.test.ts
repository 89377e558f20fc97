import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { optionsSchema } from '@mlpredict/core/internals';
import { allFlags, kebabCase, optionFlags } from '../cli/cli-flags';
import { cliSettings } from '../cli/cli-settings';
import { helpText } from '../cli/help-text';
import { parseArgs } from '../cli/parse-args';
import { UsageError } from '../cli/usage-error';

/** Options only code can give: functions, objects with methods, schedulers, signals, zod schemas. */
const CODE_ONLY = ['toText', 'valueSchema', 'onRequest', 'onBatch', 'onRetry', 'onRateLimit', 'onTune', 'stats', 'scheduler', 'signal'];
/** Options the CLI sets with flags of its own: `price` (--price-input, --price-cached-input, --price-output), `budget` (--max-cost, --max-tokens-total). */
const OWN_FLAGS: Record<string, string[]> = { price: ['price-input', 'price-cached-input', 'price-output'], budget: ['max-cost', 'max-tokens-total'] };

describe('the CLI flag table', () => {
  const flags = allFlags();

  it('has a flag for every option of the core schema a command line can give', () => {
    const flagOptions = new Set(optionFlags().map((f) => f.option));
    for (const option of Object.keys(optionsSchema.shape)) {
      if (CODE_ONLY.includes(option)) expect(flagOptions.has(option)).toBe(false);
      else if (OWN_FLAGS[option]) expect(flags.map((f) => f.name)).toEqual(expect.arrayContaining(OWN_FLAGS[option]!));
      else expect({ option, hasFlag: flagOptions.has(option) }).toEqual({ option, hasFlag: true });
    }
    expect(flags.map((f) => f.name)).toEqual(expect.arrayContaining(['batch-size', 'batch-timeout-ms', 'concurrency', 'prompt-template', 'system-prompt', 'instruction', 'value-field', 'index-field', 'response-path', 'max-retries', 'request-timeout-ms', 'requests-per-minute', 'tokens-per-minute']));
  });

  it('describes every flag, and --help lists each with its default', () => {
    const help = helpText(flags);
    for (const flag of flags) {
      expect({ flag: flag.name, described: flag.description.length > 0 }).toEqual({ flag: flag.name, described: true });
      expect(help).toContain(`--${flag.name}`);
    }
    expect(help).toMatch(/--batch-size N\|auto\s+records per request; auto: .*\(default: "auto"\)/);
    expect(help).toMatch(/--concurrency N\|auto\s+batches in flight at once; auto: .*\(default: "auto"\)/);
    expect(help).toMatch(/--response-format json\|xml\|delimited\|text\s.*\(default: "json"\)/);
    expect(help).toContain('--progress, --no-progress');
  });

  it('kebab-cases option names', () => {
    expect(kebabCase('batchTimeoutMs')).toBe('batch-timeout-ms');
    expect(kebabCase('maxRetries')).toBe('max-retries');
  });
});

describe('parseArgs', () => {
  const flags = allFlags();

  it('reads values, = forms, short names, switches and --no- switches', () => {
    const values = parseArgs(['-i', 'in.csv', '--batch-size=50', '--concurrency', '3', '--no-progress', '--dry-run', '--cache'], flags);
    expect(Object.fromEntries(values)).toEqual({ input: 'in.csv', 'batch-size': '50', concurrency: '3', progress: false, 'dry-run': true, cache: true });
  });

  it('names an unknown flag and suggests the near one', () => {
    expect(() => parseArgs(['--bath-size', '5'], flags)).toThrow(new UsageError('unknown flag --bath-size (did you mean --batch-size?)'));
  });

  it('names a flag whose value is missing', () => {
    expect(() => parseArgs(['--batch-size'], flags)).toThrow(/--batch-size needs a value/);
    expect(() => parseArgs(['--model', '--dry-run'], flags)).toThrow(/--model needs a value/);
  });

  it('takes one argument that is not a flag as the input file, and refuses a second or a clash with --input', () => {
    expect(parseArgs(['in.jsonl', '-o', 'out.csv'], flags).get('input')).toBe('in.jsonl');
    expect(parseArgs(['--', '-odd-name.csv'], flags).get('input')).toBe('-odd-name.csv');
    expect(() => parseArgs(['a.jsonl', 'b.jsonl'], flags)).toThrow(/one input file at a time; got "a.jsonl", "b.jsonl"/);
    expect(() => parseArgs(['a.jsonl', '-i', 'b.jsonl'], flags)).toThrow(/give the input once: "a.jsonl" or --input "b.jsonl"/);
  });

  it('reads the short flags of the common options', () => {
    const values = parseArgs(['-m', 'gpt-4o', '-f', 'review.body', '-b', '50', '-c', '8', '-l', 'a,b', '-r', '-n', '-v'], flags);
    expect(Object.fromEntries(values)).toEqual({ model: 'gpt-4o', field: 'review.body', 'batch-size': '50', concurrency: '8', labels: 'a,b', resume: true, 'dry-run': true, version: true });
  });
});

describe('cliSettings', () => {
  const flags = allFlags();
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mlpredict-flags-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('takes options from --config, with flags overriding them', async () => {
    const config = join(dir, 'config.json');
    await writeFile(config, JSON.stringify({ 'batch.size': 10, concurrency: 2, model: 'from-config', valueField: 'label' }));
    const settings = await cliSettings(parseArgs(['--config', config, '--concurrency', '6', '--field', 'review'], flags), flags, {});
    expect(settings.resolved).toMatchObject({ batching: { size: 10 }, flow: { concurrency: 6 }, parse: { read: { valueField: 'label' } }, prompt: { textField: 'review' } });
    expect(settings.model).toBe('from-config');
  });

  it('reads --template-file and the environment', async () => {
    const template = join(dir, 'prompt.mustache');
    await writeFile(template, '{{#records}}{{index}}: {{text}}\n{{/records}}');
    const settings = await cliSettings(parseArgs(['--template-file', template, '-i', 'x.CSV'], flags), flags, { OPENAI_BASE_URL: 'http://127.0.0.1:9/v1', OPENAI_API_KEY: 'k' });
    expect(settings.resolved.prompt.template).toBe('{{#records}}{{index}}: {{text}}\n{{/records}}');
    expect(settings).toMatchObject({ baseURL: 'http://127.0.0.1:9/v1', apiKey: 'k', format: 'csv' });
  });

  it('reports a bad value in the core\'s words, naming the flag', async () => {
    await expect(cliSettings(parseArgs(['--batch-size', '0'], flags), flags, {})).rejects.toThrow(/--batch-size: expected a value >= 1, got 0/);
    await expect(cliSettings(parseArgs(['--max-retries', 'many'], flags), flags, {})).rejects.toThrow(/--max-retries: .*"many"/);
    await expect(cliSettings(parseArgs(['--retry', '{oops'], flags), flags, {})).rejects.toThrow(/--retry: expected JSON/);
    await expect(cliSettings(parseArgs(['--format', 'xml'], flags), flags, {})).rejects.toThrow(/--format: expected jsonl, csv, lines, got "xml"/);
  });

  it('names a missing --config or --template-file', async () => {
    const missing = join(dir, 'nope.json');
    await expect(cliSettings(parseArgs(['--config', missing], flags), flags, {})).rejects.toThrow(`--config: cannot read "${missing}": no such file or directory`);
    await expect(cliSettings(parseArgs(['--template-file', missing], flags), flags, {})).rejects.toThrow(/--template-file: cannot read/);
  });
});
