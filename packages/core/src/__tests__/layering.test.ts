/**
 * No import runs upward between core's folders: each folder imports only from
 * the folders before it in the data path's order (docs/architecture.md).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname, sep } from 'node:path';

const ORDER = ['model', 'results', 'metrics', 'batching', 'cache', 'cost', 'prompt', 'formats', 'resilience', 'tuning', 'config', 'predict', 'deferred', 'operators', 'source', 'executor', 'providers'];
const src = resolve(__dirname, '..');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === '__tests__' ? [] : sources(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

it('every folder imports only from the folders before it', () => {
  const upward: string[] = [];
  const unknown = new Set<string>();
  for (const file of sources(src)) {
    const from = relative(src, file).split(sep)[0]!;
    if (!ORDER.includes(from)) {
      if (from.endsWith('.ts')) continue; // the entry files (index, internals, executor) may import anything
      unknown.add(from);
      continue;
    }
    for (const match of readFileSync(file, 'utf8').matchAll(/from '(\.{1,2}\/[^']+)'/g)) {
      const to = relative(src, resolve(dirname(file), match[1]!)).split(sep)[0]!;
      if (to === from) continue;
      if (ORDER.indexOf(to) > ORDER.indexOf(from)) upward.push(`${relative(src, file)} → ${to}`);
    }
  }
  expect([...unknown]).toEqual([]);
  expect(upward).toEqual([]);
});
