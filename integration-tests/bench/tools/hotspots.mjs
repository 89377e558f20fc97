#!/usr/bin/env node
/**
 * Summarizes a V8 .cpuprofile by self time, for the overhead scenario:
 *
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof integration-tests/bench/run.mjs --only overhead
 *   node integration-tests/bench/tools/hotspots.mjs /tmp/prof/*.cpuprofile [top=25]
 *
 * Prints the functions with the most self time and the files they live in, grouped
 * by package, so "where does the library spend its time" has a short answer.
 */
import { readFileSync } from 'node:fs';

const [file, topArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: node tools/hotspots.mjs <file.cpuprofile> [top]');
  process.exit(2);
}
const top = Number(topArg ?? 25);
const profile = JSON.parse(readFileSync(file, 'utf8'));

// Self time per node: samples × the mean interval between them.
const interval = (profile.endTime - profile.startTime) / Math.max(1, profile.samples.length);
const hits = new Map();
for (const id of profile.samples) hits.set(id, (hits.get(id) ?? 0) + 1);

const shortUrl = (url) =>
  url
    .replace(/^file:\/\//, '')
    .replace(/.*\/node_modules\/\.pnpm\/[^/]+\/node_modules\//, '')
    .replace(/.*\/packages\/([^/]+)\/dist\//, '@mlpredict/$1/')
    .replace(/.*\/integration-tests\/bench\//, 'bench/');
const packageOf = (url) => {
  const s = shortUrl(url);
  if (!s) return '(native / V8)';
  if (s.startsWith('node:')) return 'node internals';
  if (s.startsWith('@')) return s.split('/').slice(0, 2).join('/');
  return s.split('/')[0];
};

const byFunction = new Map();
const byPackage = new Map();
let total = 0;
for (const node of profile.nodes) {
  const ms = (hits.get(node.id) ?? 0) * interval / 1000;
  if (!ms) continue;
  total += ms;
  const { functionName, url, lineNumber } = node.callFrame;
  const key = `${functionName || '(anonymous)'}  ${shortUrl(url)}${url ? `:${lineNumber + 1}` : ''}`;
  byFunction.set(key, (byFunction.get(key) ?? 0) + ms);
  const pkg = packageOf(url);
  byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + ms);
}

const pct = (ms) => `${((ms / total) * 100).toFixed(1).padStart(5)}%`;
console.log(`total sampled: ${total.toFixed(0)} ms\n\nby package:`);
for (const [pkg, ms] of [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 12)) console.log(`  ${pct(ms)}  ${ms.toFixed(0).padStart(6)} ms  ${pkg}`);
console.log(`\ntop ${top} functions by self time:`);
for (const [key, ms] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${pct(ms)}  ${ms.toFixed(0).padStart(6)} ms  ${key}`);
