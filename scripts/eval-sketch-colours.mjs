// Does a sketch model paint what people draw? Outline sketches drawn here by code (thin black lines, as
// `pix2pix edges` draws them) go through the bundle's ONNX in onnxruntime-node; hearts and apples should
// come out red, stars, suns and smileys yellow, saturated, and without the transposed convolutions'
// checkerboard. Prints each shape's dominant hue, saturation and grid pattern; exits 1 when any misses.
// tests/ort/sketch_colours.test.mjs holds the shipped model to the criteria it meets (not yet red hearts
// and apples, issue 13); this script applies all of them to any bundle.
// usage: node scripts/eval-sketch-colours.mjs [--scales 1,0.7] [--widths 1.5,3] [BUNDLE_DIR] [OUT_DIR]
//   --scales: draw each shape at these sizes (1: as large as the tests draw it); --widths: with lines this many
//   pixels wide (1.5: as the tests draw them); OUT_DIR: keep sketches and outputs as PNG
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { ROOT, onnxOfBundle, ort, run, test } from '../tests/browser/harness.mjs';
import { encodePng } from '../tests/browser/png.mjs';
import { S, SHAPES, colourOf, draw, judgePainted, paint, scaled } from '../tests/ort/sketch_shapes.mjs';

const args = process.argv.slice(2);
// A comma-separated list of numbers after `--name`, each accepted by `ok`, taken out of args; else `fallback`.
function listOption(name, fallback, ok, wanted) {
  const at = args.indexOf(name);
  if (at < 0) return fallback;
  const values = (args[at + 1] ?? '').split(',').map(Number);
  if (!values.every(ok)) {  // an empty list is [0]: refused by every ok
    console.error(`eval-sketch-colours: ${name} takes ${wanted}`);
    process.exit(2);
  }
  args.splice(at, 2);
  return values;
}
const scales = listOption('--scales', [1], (s) => s > 0.2 && s <= 1.2, 'sizes between 0.2 and 1.2, such as 1,0.7,0.5');
const widths = listOption('--widths', [1.5], (x) => x >= 0.5 && x <= 8, 'line widths between 0.5 and 8 pixels, such as 1.5,3');
const bundle = args[0] || path.join(ROOT, 'web', 'models', 'edges2emoji');
const keep = args[1];
const session = await ort.InferenceSession.create(onnxOfBundle(bundle));

for (const width of widths)
  for (const scale of scales)
    for (const [shapeName, base] of Object.entries(SHAPES)) {
      const name = [shapeName, scale === 1 ? '' : `x${scale}`, width === 1.5 ? '' : `${width}px`].filter(Boolean).join(' ');
      const file = name.replaceAll(' ', '-');
      const shape = scale === 1 ? base : scaled(base, scale);
      test(`a drawn ${name} comes out ${shape.colour}, saturated, without a checkerboard`, async () => {
        const { grey, interior } = draw(shape, width);  // the inside is kept 6 px from the lines' middle
        const rgb = await paint(session, grey);
        if (keep) {
          mkdirSync(keep, { recursive: true });
          const sketch = new Uint8Array(3 * S * S).map((_, i) => grey[Math.floor(i / 3)]);
          writeFileSync(path.join(keep, `${file}-sketch.png`), encodePng(Buffer.from(sketch), S, S));
          writeFileSync(path.join(keep, `${file}.png`), encodePng(Buffer.from(rgb), S, S));
        }
        judgePainted(name, colourOf(rgb, interior), shape.colour);
      });
    }

await run(async () => { await session.release(); });
