/**
 * The README's options and error-code tables must list what the code accepts and
 * emits, so the docs can't drift from the schema.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PREDICT_ERROR_CODES } from '@mlpredict/core';
import { optionsSchema, DOTTED_KEYS, RESPONSE_FORMAT_NAMES } from '@mlpredict/core/internals';

const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
const section = (title: string) => readme.split(`## ${title}`)[1]!.split('\n## ')[0]!;

it('lists every option of the schema, with its dotted key', () => {
  const table = section('Options');
  const rows = table.split('\n').filter((l) => l.startsWith('| `'));
  const documented = new Set(rows.flatMap((row) => [...row.split('|')[1]!.matchAll(/`(\w+)`/g)].map((m) => m[1]!)));
  expect([...Object.keys(optionsSchema.shape)].filter((name) => !documented.has(name))).toEqual([]);
  for (const [dotted, name] of Object.entries(DOTTED_KEYS)) {
    const row = rows.find((r) => r.startsWith(`| \`${name}\``));
    expect(row).toContain(`\`${dotted}\``);
  }
});

it('lists every error code', () => {
  const table = section('Results');
  expect(PREDICT_ERROR_CODES.filter((code) => !table.includes(`| \`${code}\``))).toEqual([]);
});

it('names every response format', () => {
  const table = section('Options');
  for (const name of RESPONSE_FORMAT_NAMES) expect(table).toContain(`'${name}'`);
});
