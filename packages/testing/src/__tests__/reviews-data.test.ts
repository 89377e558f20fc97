/** The demo data set: as generated, well formed, and labeled by sentimentOf as its generator intended. */
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { sentimentOf } from '../index';

const root = join(__dirname, '..', '..', '..', '..');
const file = join(root, 'examples', 'data', 'reviews.jsonl');
const generate = (...args: string[]) => execFileSync(process.execPath, [join(root, 'scripts', 'make-reviews.mjs'), ...args], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });

interface Review {
  id: number;
  text: string;
  product: string;
  label?: string;
}
const committed = readFileSync(file, 'utf8');
const reviews: Review[] = committed.trimEnd().split('\n').map((line) => JSON.parse(line) as Review);

it('is exactly what scripts/make-reviews.mjs generates (deterministic, and committed current)', () => {
  expect(generate('--stdout')).toBe(committed);
});

it('has 3,000 distinct reviews {id, text, product}, under 1 MB', () => {
  expect(reviews).toHaveLength(3000);
  expect(statSync(file).size).toBeLessThan(1024 * 1024);
  expect(reviews.map((r) => r.id)).toEqual(reviews.map((_, i) => i + 1));
  for (const review of reviews) expect(Object.keys(review)).toEqual(['id', 'text', 'product']);
  expect(new Set(reviews.map((r) => r.text)).size).toBe(3000);
  expect(new Set(reviews.map((r) => r.product)).size).toBeGreaterThanOrEqual(30);
});

it('varies: one sentence to a paragraph, quotes, line breaks, emoji', () => {
  const lengths = reviews.map((r) => r.text.length);
  expect(Math.min(...lengths)).toBeLessThan(20);
  expect(Math.max(...lengths)).toBeGreaterThan(300);
  expect(reviews.filter((r) => r.text.includes('"')).length).toBeGreaterThan(50);
  expect(reviews.filter((r) => r.text.includes('\n')).length).toBeGreaterThan(50);
  expect(reviews.filter((r) => /\p{Extended_Pictographic}/u.test(r.text)).length).toBeGreaterThan(50);
});

it('sentimentOf gives every review the label its generator intended, about 45/35/20', () => {
  const labeled = generate('--with-labels').trimEnd().split('\n').map((line) => JSON.parse(line) as Review);
  const disagreements = labeled.filter((r) => sentimentOf(r.text) !== r.label);
  expect(disagreements).toEqual([]);
  const share = (label: string) => reviews.filter((r) => sentimentOf(r.text) === label).length / reviews.length;
  expect(share('positive')).toBeCloseTo(0.45, 2);
  expect(share('negative')).toBeCloseTo(0.35, 2);
  expect(share('neutral')).toBeCloseTo(0.2, 2);
});

it('mixes both polarities in some reviews', () => {
  const both = reviews.filter((r) => /\b(great|excellent|love|nice|impressive)\b/i.test(r.text) && /\b(terrible|poor|hate|broke|slow)\b/i.test(r.text));
  expect(both.length).toBeGreaterThan(50);
});
