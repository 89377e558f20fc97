#!/usr/bin/env node
// Writes examples/data/reviews.jsonl: 3,000 product reviews for the demo, as
// {"id": n, "text": "...", "product": "..."} lines, and examples/data/reviews.csv:
// the first 200 of them as CSV (id,text,product; RFC 4180 quoting), for the CLI. Deterministic: a seeded PRNG,
// nothing from the clock, so re-running gives the same bytes.
//
// Each review is built from sentence fragments whose sentiment is known (the
// number after each fragment: what @mlpredict/testing's sentimentOf counts for it),
// so its intended label is the sign of their sum: 45% positive, 35% negative,
// 20% neutral, exactly. Some mix both polarities, some quote, some have emoji or
// a line break.
//
//   node scripts/make-reviews.mjs                 # writes examples/data/reviews.jsonl and reviews.csv
//   node scripts/make-reviews.mjs --stdout        # the same lines on stdout
//   node scripts/make-reviews.mjs --with-labels   # adds "label" (the intended one), for the tests
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const COUNT = 3000;
const CSV_COUNT = 200;
const MIX = { positive: 0.45, negative: 0.35, neutral: 0.2 };
const SEED = 20240611;

// ---- a seeded PRNG (mulberry32) ----------------------------------------------
let state = SEED >>> 0;
function random() {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = (list) => list[Math.floor(random() * list.length)];
const chance = (p) => random() < p;
const between = (min, max) => min + Math.floor(random() * (max - min + 1));
function shuffled(list) {
  const copy = [...list];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy;
}

// ---- products: display name, what people call it, what they talk about ----------
const PRODUCTS = [
  ['Wireless Earbuds X2', 'earbuds', ['sound', 'battery life', 'fit', 'charging case', 'pairing', 'microphone']],
  ['Smartphone Nova 12', 'phone', ['screen', 'battery', 'camera', 'speaker', 'charging speed', 'fingerprint reader']],
  ['27" 4K Monitor', 'monitor', ['picture', 'stand', 'color accuracy', 'menu buttons', 'brightness']],
  ['Robot Vacuum R5', 'vacuum', ['suction', 'app', 'mapping', 'dustbin', 'edge cleaning']],
  ['Electric Kettle 1.7L', 'kettle', ['lid', 'handle', 'boil time', 'auto shut-off', 'handle grip']],
  ['Espresso Machine Duo', 'espresso machine', ['milk frother', 'pressure', 'water tank', 'drip tray', 'grinder']],
  ['Air Fryer XL', 'air fryer', ['basket', 'timer', 'temperature control', 'nonstick coating', 'display']],
  ['Yoga Mat 6mm', 'mat', ['grip', 'thickness', 'carry strap', 'surface', 'edges']],
  ['Trail Running Shoes', 'shoes', ['fit', 'cushioning', 'laces', 'sole', 'toe box']],
  ['Commuter Backpack 30L', 'backpack', ['zippers', 'straps', 'laptop sleeve', 'pockets', 'fabric']],
  ['LED Desk Lamp', 'lamp', ['brightness', 'arm', 'touch controls', 'color temperature', 'base']],
  ['Ergonomic Office Chair', 'chair', ['lumbar support', 'armrests', 'wheels', 'seat cushion', 'recline']],
  ['Bluetooth Speaker Boom Mini', 'speaker', ['bass', 'battery', 'volume', 'pairing', 'strap']],
  ['Smartwatch Pulse 3', 'watch', ['heart rate sensor', 'battery', 'band', 'screen', 'step counter']],
  ['Mechanical Keyboard K87', 'keyboard', ['switches', 'keycaps', 'backlight', 'cable', 'stabilizers']],
  ['Wireless Mouse M3', 'mouse', ['scroll wheel', 'side buttons', 'battery', 'sensor', 'shape']],
  ['USB-C Hub 7-in-1', 'hub', ['HDMI port', 'card reader', 'cable', 'ports', 'housing']],
  ['Power Bank 20000mAh', 'power bank', ['capacity', 'charging speed', 'display', 'ports', 'size']],
  ['Cast Iron Skillet 12"', 'skillet', ['seasoning', 'handle', 'weight', 'heat retention', 'surface']],
  ["Chef's Knife 8\"", 'knife', ['edge', 'handle', 'balance', 'sheath', 'steel']],
  ['Blender Pro 900', 'blender', ['motor', 'jar', 'blades', 'lid', 'speed settings']],
  ['Rice Cooker Mini', 'rice cooker', ['inner pot', 'timer', 'steam vent', 'keep-warm mode', 'measuring cup']],
  ['Burr Coffee Grinder', 'grinder', ['grind settings', 'hopper', 'motor', 'catch bin', 'static']],
  ['Insulated Water Bottle', 'bottle', ['lid', 'insulation', 'straw', 'paint', 'handle']],
  ['Waterproof Hiking Boots', 'boots', ['ankle support', 'laces', 'sole', 'lining', 'fit']],
  ['Packable Rain Jacket', 'jacket', ['hood', 'zipper', 'pockets', 'fabric', 'cut']],
  ['Merino Wool Socks (3-pack)', 'socks', ['heel', 'fit', 'fabric', 'cuff', 'thickness']],
  ['E-Reader Lumen', 'e-reader', ['screen', 'battery', 'page turn buttons', 'front light', 'store']],
  ['Gaming Headset G5', 'headset', ['microphone', 'ear cushions', 'sound', 'cable', 'headband']],
  ['HD Webcam 1080p', 'webcam', ['picture', 'autofocus', 'clip', 'microphone', 'low-light picture']],
  ['Electric Toothbrush Sonic', 'toothbrush', ['battery', 'brush heads', 'timer', 'charger', 'modes']],
  ['Ionic Hair Dryer', 'hair dryer', ['airflow', 'heat settings', 'cord', 'diffuser', 'weight']],
  ['Board Game: Harbor Lights', 'game', ['rulebook', 'pieces', 'artwork', 'box insert', 'replay value']],
  ['Novel: The Long Tide', 'book', ['plot', 'ending', 'characters', 'pacing', 'cover']],
  ['2-Person Dome Tent', 'tent', ['poles', 'rain fly', 'zippers', 'floor', 'stakes']],
  ['Camping Stove', 'stove', ['burner', 'igniter', 'fuel use', 'pot stand', 'carry case']],
  ['Orthopedic Dog Bed', 'dog bed', ['foam', 'cover', 'zipper', 'size', 'bolsters']],
  ['Cordless Drill 18V', 'drill', ['battery', 'chuck', 'torque', 'charger', 'work light']],
  ['Smart LED Bulbs (4-pack)', 'bulbs', ['app', 'colors', 'brightness', 'pairing', 'schedules']],
  ['Standing Desk Frame', 'desk', ['motor', 'height presets', 'crossbar', 'feet', 'control panel']],
  ['Noise-Cancelling Headphones H700', 'headphones', ['noise cancelling', 'ear cups', 'sound', 'battery', 'hinges']],
  ['Kids\' Drawing Tablet', 'tablet', ['pen', 'screen', 'cable', 'drivers', 'surface']],
];

const RELATIVES = ['wife', 'husband', 'son', 'daughter', 'mom', 'dad', 'roommate', 'partner', 'neighbor', 'sister'];
const DAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const COLORS = ['black', 'white', 'navy', 'sage green', 'rose gold', 'graphite', 'sand'];
const SPANS = ['three days', 'a week', 'two weeks', 'a month', 'six weeks', 'three months', 'half a year'];
const COUNTRIES = ['Portugal', 'Vietnam', 'Mexico', 'Poland', 'Taiwan', 'Germany'];
const ROOMS = ['office', 'kitchen', 'dorm room', 'garage', 'bedroom', 'studio'];

// ---- fragments: [template, score] ------------------------------------------------
// {p} product noun, {a} / {b} two different aspects, {r} a relative, {t} a time span,
// {d} a weekday, {c} a color, {n} a small number, {k} a country, {m} a room.
const POSITIVE = [
  ['Love this {p}.', 1],
  ['Love it!', 1],
  ['The {a} is excellent.', 1],
  ['Great {a} for the price.', 1],
  ['Really impressed with the {a}.', 1],
  ['Works perfectly out of the box.', 1],
  ['Setup was easy and took about {n} minutes.', 1],
  ['Honestly the best {p} I have owned.', 1],
  ['Would recommend it to anyone.', 1],
  ['Highly recommended.', 1],
  ['The {a} is fantastic, and the {b} is solid too.', 2],
  ['Very happy with this purchase.', 1],
  ['It exceeded my expectations.', 1],
  ['Sturdy, well made, and comfortable to use.', 2],
  ['My {r} loves it too.', 1],
  ['It has been reliable for {t} now.', 1],
  ['Worth every penny.', 1],
  ['No complaints at all.', 1],
  ['Zero issues so far.', 1],
  ['The {a} is crisp and the {b} is smooth.', 2],
  ['Absolutely gorgeous design.', 1],
  ['A real gem.', 1],
  ['Brilliant little {p}.', 1],
  ['Glad I bought it.', 1],
  ["It's not cheap, but it's worth it.", 1],
  ['I was skeptical, but this is a great {p}.', 1],
  ['The {a} works flawlessly.', 1],
  ['Nice touch: the {a} feels premium.', 1],
  ['We enjoy using it every day.', 1],
  ['Pleased with how well the {a} holds up.', 1],
  ['The {a}? Superb.', 1],
  ['My {r} called it "the best gift this year".', 1],
  ['Without any problems after {t}.', 1],
  ['Quiet, durable and sleek.', 2],
  ['Does not disappoint.', 0], // "disappoint" is not in the lexicon: filler only
  ['Five stars.', 0],
  ['After {t} of daily use in the {m}, the {a} still feels excellent and nothing has come loose.', 1],
  ['I did a lot of research before buying, and I am thrilled with how the {a} turned out.', 1],
];

const NEGATIVE = [
  ['Terrible {p}.', -1],
  ['The {a} stopped working after {t}.', -1],
  ['Broke within {t}.', -1],
  ['Really disappointed with the {a}.', -1],
  ['The {a} is flimsy and feels cheaply made.', -2],
  ['Complete waste of money.', -1],
  ['Would not recommend.', -1],
  ['I returned it and asked for a refund.', -2],
  ['The {a} is awful.', -1],
  ['Customer support was useless.', -1],
  ['Worst purchase I have made this year.', -1],
  ['It arrived cracked.', -1],
  ['The {a} is painfully slow.', -1],
  ['Not worth the price.', -1],
  ['It died after {t}.', -1],
  ['Constant problems with the {a}.', -1],
  ['Poor {a}.', -1],
  ['I regret buying this.', -1],
  ['Feels like junk.', -1],
  ['Avoid.', -1],
  ['Not good at all.', -1],
  ['Frustrating to set up, and the manual is a mess.', -2],
  ['Mine was defective from day one.', -1],
  ['The {a} is unreliable and the {b} rattles.', -2],
  ['Honestly a disappointment.', -1],
  ['The "premium" {a} is mediocre.', -1],
  ['Overpriced for what you get.', -1],
  ['The {a} is not comfortable, even after {t}.', -1],
  ["I can't recommend this {p}.", -1],
  ['Two stars, and that is generous.', 0], // filler only
  ['I wanted to like it, but after {t} the {a} started to peel and the {b} is loose, which is frustrating at this price.', -1],
  ['We tried it in the {m} for {t} and kept running into the same problem with the {a}.', -1],
];

const NEUTRAL = [
  ['Arrived on {d}.', 0],
  ["Bought this for my {r}'s {m}.", 0],
  ["It's the {c} version.", 0],
  ['Ordered it {t} ago.', 0],
  ['Comes with a {n}-page manual.', 0],
  ['The box says "made in {k}".', 0],
  ['I use it mostly on weekends.', 0],
  ['It replaced my old {p}.', 0],
  ['Delivery took {n} days.', 0],
  ['It does what it says.', 0],
  ["Haven't tried the {a} much yet.", 0],
  ['The {a} is about average.', 0],
  ["It's fine, I guess.", 0],
  ['Looks like the photos.', 0],
  ["It's okay for the price.", 0],
  ['Packaging was plain cardboard.', 0],
  ['Assembly took {n} minutes.', 0],
  ['The color is a bit darker than expected.', 0],
  ['Still deciding whether to keep it.', 0],
  ['Works as described.', 0],
  ['Meh.', 0],
  ['The {a} is the same as on the previous model.', 0],
  ['Instructions were in {n} languages.', 0],
  ['Bought it on sale.', 0],
  ['Third one I have ordered for the {m}.', 0],
  ["It's smaller than I pictured.", 0],
  ['We live in a small apartment, so I measured twice before ordering, and it fits on the shelf next to the microwave.', 0],
  ['I compared it with two other models in the store for a while before picking this one, mostly because of the {a}.', 0],
  ['For context, I had the older version for about {n} months and switched when it went on sale.', 0],
  ['My {r} asked me to write this review after using it in the {m} for {t}.', 0],
];

/** Sentences with both polarities that cancel out. */
const BALANCED = [
  ['Great {a}, but the {b} is terrible.', 0],
  ['The {a} is excellent, the {b} is poor.', 0],
  ['Love the {a}; hate the {b}.', 0],
  ['Nice {a}, although the {b} broke once.', 0],
  ['The {a} is impressive but the {b} is slow.', 0],
];

const EMOJI = { positive: ['😍', '👍', '🎉', '🙂'], negative: ['😡', '👎', '😞'], neutral: ['📦', '🤷'] };

// ---- composing a review ---------------------------------------------------------
const plural = (noun) => /[^s]s$/.test(noun);
/** "The zippers is" → "The zippers are", and the like, for the aspect placeholders. */
function agree(template, placeholder, noun) {
  if (!plural(noun)) return template;
  return template.replace(new RegExp(`\\{${placeholder}\\} (is|works|feels|holds|rattles)\\b`, 'g'), (_, verb) => `{${placeholder}} ${verb === 'is' ? 'are' : verb.slice(0, -1)}`);
}

function fill(template, product) {
  const [, noun, aspects] = product;
  const [a, b] = shuffled(aspects);
  return agree(agree(template, 'a', a), 'b', b)
    .replaceAll('{p}', noun)
    .replaceAll('{a}', a)
    .replaceAll('{b}', b)
    .replaceAll('{r}', pick(RELATIVES))
    .replaceAll('{t}', pick(SPANS))
    .replaceAll('{d}', pick(DAYS))
    .replaceAll('{c}', pick(COLORS))
    .replaceAll('{n}', String(between(2, 40)))
    .replaceAll('{k}', pick(COUNTRIES))
    .replaceAll('{m}', pick(ROOMS));
}

const capitalize = (s) => s[0].toUpperCase() + s.slice(1);

function compose(label, product) {
  const parts = [];
  const add = (bank) => parts.push(bank === undefined ? undefined : pick(bank));
  const size = chance(0.25) ? 1 : chance(0.6) ? between(2, 3) : between(4, 6); // one sentence to a short paragraph
  if (label === 'neutral') {
    if (chance(0.3)) add(BALANCED);
    while (parts.length < size) add(NEUTRAL);
  } else {
    const [main, other] = label === 'positive' ? [POSITIVE, NEGATIVE] : [NEGATIVE, POSITIVE];
    add(main);
    while (parts.length < size) add(chance(0.55) ? main : chance(0.75) ? NEUTRAL : chance(0.5) ? BALANCED : other);
  }
  const sign = label === 'positive' ? 1 : label === 'negative' ? -1 : 0;
  let score = parts.reduce((sum, [, s]) => sum + s, 0);
  // Top up until the sum has the intended sign (mixed reviews keep their other side).
  const main = label === 'positive' ? POSITIVE : NEGATIVE;
  while (sign !== 0 && Math.sign(score) !== sign) {
    const [template, s] = pick(main.filter(([, x]) => x !== 0));
    parts.push([template, s]);
    score += s;
  }
  let sentences = shuffled(parts).map(([template]) => capitalize(fill(template, product)));
  if (chance(0.12)) sentences.push(pick(EMOJI[label]));
  // Some reviews run over two paragraphs.
  if (sentences.length >= 4 && chance(0.3)) {
    const cut = between(1, sentences.length - 1);
    return `${sentences.slice(0, cut).join(' ')}\n${sentences.slice(cut).join(' ')}`;
  }
  return sentences.join(' ');
}

// ---- the data set -----------------------------------------------------------------
const counts = { positive: Math.round(COUNT * MIX.positive), negative: Math.round(COUNT * MIX.negative) };
counts.neutral = COUNT - counts.positive - counts.negative;
const labels = shuffled(Object.entries(counts).flatMap(([label, n]) => Array(n).fill(label)));

const seen = new Set();
const reviews = labels.map((label, i) => {
  const product = pick(PRODUCTS);
  let text = compose(label, product);
  // Keep every text distinct: the same text twice would teach a cache more than a model.
  while (seen.has(text)) text = compose(label, product);
  seen.add(text);
  return { id: i + 1, text, product: product[0], label };
});

const withLabels = process.argv.includes('--with-labels');
const lines = reviews.map(({ label, ...review }) => JSON.stringify(withLabels ? { ...review, label } : review)).join('\n') + '\n';
if (process.argv.includes('--stdout') || withLabels) {
  process.stdout.write(lines);
} else {
  const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'examples', 'data', 'reviews.jsonl');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, lines);
  console.error(`wrote ${reviews.length} reviews (${Buffer.byteLength(lines)} bytes) to ${out}`);
  const csvOut = out.replace(/\.jsonl$/, '.csv');
  writeFileSync(csvOut, toCsv(reviews.slice(0, CSV_COUNT)));
  console.error(`wrote the first ${CSV_COUNT} as CSV to ${csvOut}`);
}

/** RFC 4180: a field with a quote, comma or line break is quoted, its quotes doubled. */
function toCsv(rows) {
  const field = (value) => (/[",\r\n]/.test(String(value)) ? `"${String(value).replaceAll('"', '""')}"` : String(value));
  return ['id,text,product', ...rows.map(({ id, text, product }) => [id, text, product].map(field).join(','))].join('\r\n') + '\r\n';
}
