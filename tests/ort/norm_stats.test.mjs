// Thumbnail Instance Normalization in onnxruntime-node: a style net written with NormStats Export gives the
// plain model's output plus each instance norm's statistics; fed back through Import on the same image they
// reproduce it; and tiles of a bigger image run in Import mode with one set of statistics, kept within the
// page's tile plan (cores inside margins of the receptive field computed from the graph), reproduce the
// whole image run the same way. Models, receptive field and plan come from build/wasm/make_bundle.js.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { TOOL, check, makeBundle, ort, removeDir, run, tempDir, test } from '../browser/harness.mjs';

const work = tempDir('p2p-normstats-');
const bundle = path.join(work, 'style');
makeBundle(bundle, { net: 'transformer', ngf: 8, size: 256, seed: 5, gain: 1.5 });
const tool = (...args) => execFileSync('node', ['--no-experimental-fetch', TOOL, ...args.map(String)], { encoding: 'utf8' });
const onnx = (mode) => {
  const out = path.join(work, `${mode}.onnx`);
  tool('onnx', bundle, out, mode);
  return readFileSync(out);
};
const sessions = {};
for (const mode of ['compute', 'export', 'import']) sessions[mode] = await ort.InferenceSession.create(onnx(mode));

// A test photo in [0, 255], NCHW: a smooth gradient with a disc and a bar.
function photo(w, h) {
  const x = new Float32Array(3 * w * h);
  for (let y = 0; y < h; y++)
    for (let i = 0; i < w; i++) {
      const disc = (i - w * 0.6) ** 2 + (y - h * 0.4) ** 2 < (h * 0.2) ** 2;
      const bar = Math.abs(i - w * 0.25) < w * 0.05;
      const rgb = [255 * i / w, 255 * y / h, 128 + 100 * Math.sin(i * 0.05 + y * 0.03)];
      if (disc) rgb[0] = 30, rgb[1] = 200;
      if (bar) rgb[2] = 10;
      for (let c = 0; c < 3; c++) x[c * w * h + y * w + i] = rgb[c];
    }
  return { data: x, w, h };
}
const tensor = (img) => new ort.Tensor('float32', img.data, [1, 3, img.h, img.w]);

// Output and statistics (name -> tensor) of the Export model.
async function exportStats(img) {
  const out = await sessions.export.run({ input: tensor(img) });
  const stats = {};
  for (const name of sessions.export.outputNames.slice(1)) stats[name] = out[name];
  return { output: out.output, stats };
}
async function runImport(img, stats) {
  return (await sessions.import.run({ input: tensor(img), ...stats })).output;
}
function maxDiff(a, b) {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
function spread(a) {
  let lo = Infinity, hi = -Infinity;
  for (const v of a) lo = Math.min(lo, v), hi = Math.max(hi, v);
  return hi - lo;
}
function crop(img, x, y, w, h) {
  const out = new Float32Array(3 * w * h);
  for (let c = 0; c < 3; c++)
    for (let r = 0; r < h; r++) out.set(img.data.subarray(c * img.w * img.h + (y + r) * img.w + x, c * img.w * img.h + (y + r) * img.w + x + w), c * w * h + r * w);
  return { data: out, w, h };
}
// Box-filter downscale by an integer factor: the thumbnail.
function shrink(img, k) {
  const w = img.w / k, h = img.h / k, out = new Float32Array(3 * w * h);
  for (let c = 0; c < 3; c++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        let s = 0;
        for (let dy = 0; dy < k; dy++) for (let dx = 0; dx < k; dx++) s += img.data[c * img.w * img.h + (y * k + dy) * img.w + x * k + dx];
        out[c * w * h + y * w + x] = s / (k * k);
      }
  return { data: out, w, h };
}

test('Export gives the plain output and one mean and variance per instance norm', async () => {
  const img = photo(200, 152);
  const plain = (await sessions.compute.run({ input: tensor(img) })).output;
  const { output, stats } = await exportStats(img);
  check(maxDiff(plain.data, output.data) === 0, `Export changed the output by ${maxDiff(plain.data, output.data)}`);
  check(Object.keys(stats).length === 30, `${Object.keys(stats).length} statistics tensors`);
  check(stats['in1.mean'].dims.join() === '1,8,1,1', `in1.mean dims ${stats['in1.mean'].dims}`);
  // The first layer's statistics by hand: conv1 is linear, so its output's mean is not checked here, but the
  // variance must be positive and the means must differ between channels of a random net.
  for (const [name, t] of Object.entries(stats))
    if (name.endsWith('.var')) check([...t.data].every((v) => v > 0), `${name} has a non-positive variance`);
  check(spread(plain.data) > 50, `the random net's output hardly varies (${spread(plain.data)})`);
});

test('Import with the image\'s own statistics reproduces the plain output', async () => {
  const img = photo(200, 152);
  const plain = (await sessions.compute.run({ input: tensor(img) })).output;
  const { stats } = await exportStats(img);
  const imported = await runImport(img, stats);
  const d = maxDiff(plain.data, imported.data), s = spread(plain.data);
  console.log(`  max |import - compute| ${d.toExponential(2)} over an output range of ${s.toFixed(1)}`);
  check(d < 1e-3 * s, `Import differs from Compute by ${d}`);
  // Other statistics change it: the inputs are really used.
  const other = await exportStats(photo(120, 96));
  const changed = maxDiff(plain.data, (await runImport(img, other.stats)).data);
  check(changed > 1e-2 * s, `Import ignores the statistics given (difference ${changed})`);
});

test('the receptive field from the graph bounds how far one input pixel reaches with fixed statistics', async () => {
  const img = photo(240, 240);
  const { stats } = await exportStats(img);
  const { before, after } = JSON.parse(tool('tiles', bundle, 240, 240, 240));
  check(before + after + 1 >= 100 && before + after + 1 <= 120, `receptive field ${before}+${after}+1`);
  const base = await runImport(img, stats);
  const poked = { data: img.data.slice(), w: img.w, h: img.h };
  const px = 120, py = 120;
  for (let c = 0; c < 3; c++) poked.data[c * 240 * 240 + py * 240 + px] += 200;
  const out = await runImport(poked, stats);
  let left = px, right = px, top = py, bottom = py;
  for (let c = 0; c < 3; c++)
    for (let y = 0; y < 240; y++)
      for (let x = 0; x < 240; x++)
        if (Math.abs(out.data[c * 57600 + y * 240 + x] - base.data[c * 57600 + y * 240 + x]) > 1e-4)
          left = Math.min(left, x), right = Math.max(right, x), top = Math.min(top, y), bottom = Math.max(bottom, y);
  console.log(`  one pixel reaches x ${left - px}..+${right - px}, y ${top - py}..+${bottom - py}; the graph says -${after}..+${before}`);
  // Output x depends on inputs [x - before, x + after]: input px reaches outputs [px - after, px + before].
  check(px - left <= after && right - px <= before && py - top <= after && bottom - py <= before, 'a pixel reaches beyond the receptive field');
  check(px - left >= after - 8 && right - px >= before - 8, 'the receptive field is far larger than the reach measured');
});

// Runs a plan's tiles in Import mode and keeps their cores.
async function tiled(img, stats, plan) {
  const out = new Float32Array(3 * img.w * img.h);
  for (const { input: [x, y, w, h], core: [cx, cy, cw, ch] } of plan.tiles) {
    const t = await runImport(crop(img, x, y, w, h), stats);
    for (let c = 0; c < 3; c++)
      for (let r = 0; r < ch; r++)
        for (let i = 0; i < cw; i++) out[c * img.w * img.h + (cy + r) * img.w + cx + i] = t.data[c * w * h + (cy - y + r) * w + cx - x + i];
  }
  return out;
}

test('tiles with thumbnail statistics reproduce the whole image run with the same statistics', async () => {
  const img = photo(600, 400);
  const { stats } = await exportStats(shrink(img, 2));  // the thumbnail's
  const whole = (await runImport(img, stats)).data;
  const plan = JSON.parse(tool('tiles', bundle, 600, 400, 256));
  check(plan.tiles.length >= 6, `${plan.tiles.length} tiles`);
  for (const { input: [x, y, w, h] } of plan.tiles) check(x % 4 === 0 && y % 4 === 0 && w % 4 === 0 && h % 4 === 0 && w <= 256 && h <= 256, `tile ${x},${y} ${w}x${h}`);
  const d = maxDiff(whole, await tiled(img, stats, plan)), s = spread(whole);
  console.log(`  ${plan.tiles.length} tiles (margin ${plan.margin}): max |tiled - whole| ${d.toExponential(2)} over a range of ${s.toFixed(1)}`);
  check(d < 1e-3 * s, `tiles differ from the whole image by ${d}`);
  // Margins smaller than the receptive field leave seams: the test can see them.
  const thin = JSON.parse(tool('tiles', bundle, 600, 400, 256, 16));
  const dThin = maxDiff(whole, await tiled(img, stats, thin));
  check(dThin > 1e-2 * s, `16 px margins gave no visible difference (${dThin})`);
  // Each tile with its own statistics (no thumbnail) disagrees too: why the statistics are shared.
  const { input: [x, y, w, h] } = plan.tiles[0];
  const tile = crop(img, x, y, w, h);
  const own = maxDiff((await sessions.compute.run({ input: tensor(tile) })).output.data, (await runImport(tile, stats)).data);
  check(own > 1e-2 * s, `a tile's own statistics match the thumbnail's (${own})`);
});

await run(async () => removeDir(work));
