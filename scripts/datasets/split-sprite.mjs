#!/usr/bin/env node
// Splits an SVG sprite whose emoji are <svg id="1F34E" ...> elements inside one outer <svg> (the svgmoji
// packages' sprites/all.svg) into one file per emoji, named as Twemoji names its files: lower case, no
// leading zeros (OUT/1f34e.svg, OUT/2764-fe0f-200d-1f525.svg).
// usage: node scripts/datasets/split-sprite.mjs SPRITE OUT_DIR
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const [sprite, out] = process.argv.slice(2);
if (!sprite || !out) {
  console.error('usage: split-sprite.mjs SPRITE OUT_DIR');
  process.exit(2);
}
const text = readFileSync(sprite, 'utf8');
mkdirSync(out, { recursive: true });

// Walk the <svg> and </svg> tags keeping the depth: the emoji are the elements opened at depth 1.
const tags = /<svg\b[^>]*>|<\/svg>/g;
let depth = 0, start = -1, id = '', written = 0;
for (let m; (m = tags.exec(text));) {
  if (m[0].startsWith('</')) {
    depth--;
    if (depth === 1 && start >= 0) {
      let svg = text.slice(start, m.index + m[0].length);
      if (svg.includes('xlink:') && !svg.includes('xmlns:xlink'))
        svg = svg.replace('<svg ', '<svg xmlns:xlink="http://www.w3.org/1999/xlink" ');
      writeFileSync(path.join(out, `${id}.svg`), svg);
      written++;
      start = -1;
    }
    continue;
  }
  if (m[0].endsWith('/>')) continue;
  depth++;
  if (depth === 2) {
    const found = /\bid="([0-9A-Fa-f-]+)"/.exec(m[0]);
    if (found) {
      id = found[1].toLowerCase().split('-').map((cp) => cp.replace(/^0+(?=.)/, '')).join('-');
      start = m.index;
    }
  }
}
if (depth !== 0 || written === 0) {
  console.error(`split-sprite: ${sprite}: ${written} emoji, unbalanced <svg> tags (depth ${depth})`);
  process.exit(1);
}
console.log(`split-sprite: ${written} emoji from ${sprite}`);
