/**
 * A self-contained SVG bar chart of wall time per library per scenario, log scale
 * (mlpredict and the per-record peers differ by an order of magnitude or more, so a
 * linear axis would flatten one side). No dependencies: the file is plain text a
 * reader can open in any browser or see rendered on GitHub.
 */
const COLORS = {
  mlpredict: '#2b7a3d',
  'openai SDK': '#4a6fa5',
  LangChain: '#c77c2e',
  'AI SDK': '#8a55a8',
};
const colorOf = (label) => Object.entries(COLORS).find(([prefix]) => label.startsWith(prefix))?.[1] ?? '#777777';
const escape = (text) => String(text).replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
const label = (ms) => (ms >= 10_000 ? `${(ms / 1000).toFixed(0)} s` : `${(ms / 1000).toFixed(ms >= 1000 ? 1 : 2)} s`);

/**
 * @param {{ title: string, subtitle?: string, groups: { title: string, bars: { label: string, ms: number, note?: string }[] }[] }} chart
 * @returns {string} the SVG document
 */
export function renderBarChart({ title, subtitle, groups }) {
  const all = groups.flatMap((g) => g.bars.map((b) => b.ms)).filter((ms) => ms > 0);
  const minDecade = Math.floor(Math.log10(Math.min(...all) / 1000));
  const maxDecade = Math.ceil(Math.log10(Math.max(...all) / 1000));
  const decades = Math.max(1, maxDecade - minDecade);

  const width = 960;
  const labelWidth = 300;
  const plotWidth = width - labelWidth - 110;
  const barHeight = 18;
  const barGap = 6;
  const groupGap = 34;
  const top = subtitle ? 70 : 50;
  const x = (ms) => labelWidth + (Math.log10(ms / 1000) - minDecade) / decades * plotWidth;

  let y = top;
  const parts = [];
  for (const group of groups) {
    parts.push(`<text x="12" y="${y + 14}" class="group">${escape(group.title)}</text>`);
    y += groupGap - 10;
    for (const bar of group.bars) {
      const end = Math.max(x(Math.max(bar.ms, 10 ** minDecade * 1000)), labelWidth + 1);
      parts.push(
        `<text x="${labelWidth - 8}" y="${y + barHeight - 5}" class="bar-label" text-anchor="end">${escape(bar.label)}</text>`,
        `<rect x="${labelWidth}" y="${y}" width="${(end - labelWidth).toFixed(1)}" height="${barHeight}" fill="${colorOf(bar.label)}" rx="2"><title>${escape(`${bar.label}: ${label(bar.ms)}${bar.note ? ` (${bar.note})` : ''}`)}</title></rect>`,
        `<text x="${(end + 6).toFixed(1)}" y="${y + barHeight - 5}" class="value">${escape(label(bar.ms))}${bar.note ? ` · ${escape(bar.note)}` : ''}</text>`,
      );
      y += barHeight + barGap;
    }
    y += groupGap - barGap;
  }
  const bottom = y;
  const height = bottom + 40;

  const grid = [];
  for (let d = minDecade; d <= maxDecade; d++) {
    for (const m of [1, 2, 5]) {
      const s = m * 10 ** d;
      if (d === maxDecade && m > 1) break;
      const gx = x(s * 1000);
      const major = m === 1;
      grid.push(`<line x1="${gx.toFixed(1)}" y1="${top - 6}" x2="${gx.toFixed(1)}" y2="${bottom}" class="${major ? 'grid-major' : 'grid-minor'}"/>`);
      grid.push(`<text x="${gx.toFixed(1)}" y="${bottom + 16}" class="tick" text-anchor="middle">${s >= 1 ? s : s.toPrecision(1)} s</text>`);
    }
  }

  return `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif">
<style>
  .title { font-size: 18px; font-weight: 600; fill: #222; }
  .subtitle { font-size: 12px; fill: #555; }
  .group { font-size: 14px; font-weight: 600; fill: #222; }
  .bar-label { font-size: 12px; fill: #333; }
  .value { font-size: 11px; fill: #333; }
  .tick { font-size: 10px; fill: #666; }
  .grid-major { stroke: #bbb; stroke-width: 1; }
  .grid-minor { stroke: #e4e4e4; stroke-width: 1; }
</style>
<rect width="100%" height="100%" fill="#ffffff"/>
<text x="12" y="26" class="title">${escape(title)}</text>
${subtitle ? `<text x="12" y="46" class="subtitle">${escape(subtitle)}</text>` : ''}
${grid.join('\n')}
${parts.join('\n')}
<text x="${labelWidth + plotWidth / 2}" y="${bottom + 34}" class="tick" text-anchor="middle">wall time, log scale (shorter is better)</text>
</svg>
`;
}
