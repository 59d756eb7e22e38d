// The README's figure of the default sketch model (used by scripts/train-defaults). Columns: input edges,
// the L1-only model, the L1 + cGAN model, the ground truth. Rows: six test-split emoji, evenly spaced in
// name order (not picked by hand), then the hand-drawn sketches (no ground truth). Cells are 128x128.
//   node scripts/readme-figure.mjs SKETCH_DIR OUT.png
//   SKETCH_DIR: <s>.png, <s>_edges2emoji.png and <s>_edges2emoji_l1.png for each sketch s
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { decodePng, encodePng } from '../tests/browser/png.mjs';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const CELL = 128, GAP = 4, TEST_ROWS = 6;

function load(file) {
  const img = decodePng(readFileSync(file));
  if (img.width !== 2 * CELL || img.height !== 2 * CELL) throw new Error(`${file}: expected ${2 * CELL}x${2 * CELL}`);
  // 2x2 box filter to the cell size, as RGB
  const out = Buffer.alloc(CELL * CELL * 3), c = img.channels;
  for (let y = 0; y < CELL; y++)
    for (let x = 0; x < CELL; x++)
      for (let k = 0; k < 3; k++) {
        let sum = 0;
        for (const [dy, dx] of [[0, 0], [0, 1], [1, 0], [1, 1]])
          sum += img.pixels[((2 * y + dy) * img.width + 2 * x + dx) * c + (c >= 3 ? k : 0)];
        out[(y * CELL + x) * 3 + k] = Math.round(sum / 4);
      }
  return out;
}

const [sketchDir, outFile] = process.argv.slice(2);
if (!outFile) {
  console.error('usage: readme-figure.mjs SKETCH_DIR OUT.png');
  process.exit(2);
}
try {
  const results = (run) => path.join(ROOT, 'results', run, 'test_latest', 'images');
  const names = readdirSync(results('edges2emoji')).filter((f) => f.endsWith('_real_A.png')).map((f) => f.slice(0, -11)).sort();
  const picked = Array.from({ length: TEST_ROWS }, (_, i) => names[Math.floor((i + 0.5) * names.length / TEST_ROWS)]);
  const rows = picked.map((n) => [
    path.join(results('edges2emoji'), `${n}_real_A.png`), path.join(results('edges2emoji_l1'), `${n}_fake_B.png`),
    path.join(results('edges2emoji'), `${n}_fake_B.png`), path.join(results('edges2emoji'), `${n}_real_B.png`)]);
  for (const f of readdirSync(sketchDir).filter((f) => /^[a-z0-9-]+\.png$/.test(f)).sort()) {
    const s = f.slice(0, -4);
    rows.push([path.join(sketchDir, f), path.join(sketchDir, `${s}_edges2emoji_l1.png`), path.join(sketchDir, `${s}_edges2emoji.png`), null]);
  }

  const width = 4 * CELL + 5 * GAP, height = rows.length * CELL + (rows.length + 1) * GAP + GAP;
  const canvas = Buffer.alloc(width * height * 3, 255);
  rows.forEach((row, r) => {
    const top = GAP + r * (CELL + GAP) + (r >= TEST_ROWS ? GAP : 0);  // a wider gap before the sketches
    row.forEach((file, col) => {
      if (!file) return;
      const cell = load(file), left = GAP + col * (CELL + GAP);
      for (let y = 0; y < CELL; y++) cell.copy(canvas, ((top + y) * width + left) * 3, y * CELL * 3, (y + 1) * CELL * 3);
    });
  });
  writeFileSync(outFile, encodePng(canvas, width, height));
  console.log(`readme-figure: ${outFile} (${rows.length} rows: ${picked.join(', ')} and ${rows.length - TEST_ROWS} sketches)`);
} catch (e) {
  console.error(`readme-figure: ${e.message.split('\n')[0]}`);
  process.exit(1);
}
