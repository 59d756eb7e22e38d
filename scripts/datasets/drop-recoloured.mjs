// Drops the pairs that teach one line drawing several colours. Noto Emoji's red, orange, yellow, green, blue,
// brown, white and black hearts are one drawing in eight colours whose SVGs differ in more than their colours
// (so the SVG rule of scripts/datasets/emoji keeps them all), and a model trained on them paints a drawn heart
// their average: orange. Two pairs are the same drawing when nearly every line of each lies within two pixels
// of a line of the other, or when one's lines all lie on the other's and make most of it: Noto's yellow heart is
// its red heart's outline without the highlights, and people draw the outline. When their pictures' colours
// differ too, they join one group. Of each group the emoji with the lowest code point stays (the red heart), as
// the SVG rule chooses. The same drawing in the same colour is no contradiction: alone, such pairs stay. Works
// across the splits and both sets.
// usage: node scripts/datasets/drop-recoloured.mjs DATASET_DIR [--dry-run]   (prints each group it drops)
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';

import { decodePng } from '../../tests/browser/png.mjs';

const SAME_DRAWING = 0.78;  // the least share of each drawing's lines near the other's (Twemoji's apples: 0.79)
const CONTAINED = 0.95;     // or: the least share of one drawing's lines near the other's,
const CONTAINS = 0.7;       // and of the other's near it (Noto's red and yellow hearts: 1.0 and 0.75)
const OTHER_COLOUR = 80;   // RGB distance between the pictures' mean colours (red to orange heart: about 100)
const NEAR = 2;            // pixels

const args = process.argv.slice(2);
const dry = args.includes('--dry-run');
const root = args.find((a) => !a.startsWith('--'));
if (!root || args.some((a) => a.startsWith('--') && a !== '--dry-run')) {
  console.error('usage: node scripts/datasets/drop-recoloured.mjs DATASET_DIR [--dry-run]');
  process.exit(2);
}

// A pair's line drawing (A: ink where darker than mid-grey), its lines widened by NEAR, a coarse 16x16 ink map
// to rule out most comparisons cheaply, and the mean colour of its picture's non-white pixels (B).
function readPair(file) {
  const png = decodePng(readFileSync(file));
  const { width: w2, height: h, channels: c, pixels } = png;
  const w = w2 / 2;
  if (c < 3 || w !== Math.floor(w)) throw new Error(`${file}: not an A|B pair`);
  const ink = [], near = new Uint8Array(w * h), coarse = new Float32Array(256);
  const colour = [0, 0, 0];
  let coloured = 0;
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const a = (y * w2 + x) * c, b = (y * w2 + w + x) * c;
      if (pixels[a] + pixels[a + 1] + pixels[a + 2] < 3 * 128) {
        ink.push(y * w + x);
        coarse[Math.floor((y * 16) / h) * 16 + Math.floor((x * 16) / w)]++;
      }
      if (pixels[b] < 235 || pixels[b + 1] < 235 || pixels[b + 2] < 235) {
        for (let k = 0; k < 3; k++) colour[k] += pixels[b + k];
        coloured++;
      }
    }
  for (const i of ink) {
    const x = i % w, y = (i - x) / w;
    for (let dy = -NEAR; dy <= NEAR; dy++)
      for (let dx = -NEAR; dx <= NEAR; dx++) {
        const yy = y + dy, xx = x + dx;
        if (yy >= 0 && yy < h && xx >= 0 && xx < w) near[yy * w + xx] = 1;
      }
  }
  return { ink, near, coarse, colour: coloured ? colour.map((v) => v / coloured) : [255, 255, 255] };
}

const share = (p, q) => {
  let n = 0;
  for (const i of p.ink) n += q.near[i];
  return p.ink.length ? n / p.ink.length : 0;
};
const colourApart = (p, q) => {
  const r = p.colour[0] - q.colour[0], g = p.colour[1] - q.colour[1], b = p.colour[2] - q.colour[2];
  return r * r + g * g + b * b >= OTHER_COLOUR * OTHER_COLOUR;
};
const coarseApart = (p, q) => {
  let d = 0;
  for (let i = 0; i < 256; i++) d += Math.abs(p.coarse[i] - q.coarse[i]);
  return d / Math.max(1, p.ink.length + q.ink.length);
};

// Noto's pictures are named noto-<name>; the order is the first code point, then the name, Twemoji first.
const pairs = [];
for (const split of ['train', 'val', 'test'].filter((s) => existsSync(path.join(root, s))))
  for (const f of readdirSync(path.join(root, split)).filter((n) => n.endsWith('.png')).sort()) {
    const name = f.slice(0, -4), noto = name.startsWith('noto-'), base = noto ? name.slice(5) : name;
    pairs.push({ file: path.join(root, split, f), name, base, noto, code: parseInt(base.split('-')[0], 16) || 0 });
  }
if (!pairs.length) {
  console.error(`drop-recoloured: no pairs in ${root}/{train,val,test}`);
  process.exit(1);
}
pairs.sort((p, q) => p.code - q.code || (p.base < q.base ? -1 : p.base > q.base ? 1 : p.noto - q.noto));
for (const p of pairs) {
  try {
    Object.assign(p, readPair(p.file));
  } catch (e) {
    console.error(`drop-recoloured: ${p.file}: ${e.message.replace(`${p.file}: `, '')}`);
    process.exit(1);
  }
}

// Groups: union-find over the links of the same drawing in another colour.
const parent = pairs.map((_, i) => i);
const find = (i) => (parent[i] === i ? i : (parent[i] = find(parent[i])));
for (let i = 0; i < pairs.length; i++)
  for (let j = i + 1; j < pairs.length; j++) {
    const p = pairs[i], q = pairs[j];
    if (!colourApart(p, q)) continue;
    if (coarseApart(p, q) > 0.5) continue;
    const pq = share(p, q), qp = share(q, p), least = Math.min(pq, qp);
    if (least < SAME_DRAWING && (least < CONTAINS || Math.max(pq, qp) < CONTAINED)) continue;
    parent[find(j)] = find(i);
  }
const groups = new Map();
pairs.forEach((p, i) => {
  const r = find(i);
  if (!groups.has(r)) groups.set(r, []);
  groups.get(r).push(p);
});
const hex = (p) => p.colour.map((v) => Math.round(v).toString(16).padStart(2, '0')).join('');
let dropped = 0;
for (const g of groups.values()) {
  if (g.length < 2) continue;
  const drop = g.slice(1);  // in order: the lowest code point first
  console.log(`keeps ${g[0].name} (#${hex(g[0])}), drops ${drop.map((p) => `${p.name} (#${hex(p)})`).join(', ')}`);
  for (const p of drop) {
    if (!dry) rmSync(p.file);
    dropped++;
  }
}
console.log(`drop-recoloured: ${dry ? 'would drop' : 'dropped'} ${dropped} of ${pairs.length} pairs (the same drawing in another colour)`);
