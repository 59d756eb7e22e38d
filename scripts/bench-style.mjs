// Style transfer speed: the page's style panel (ONNX Runtime Web, WebAssembly; headless Chromium) on a
// 256x256 photo (one run) and a 1024x1024 photo (thumbnail statistics, then tiles), next to onnxruntime-node
// on the same ONNX models and the same tile plan, as ratios. Untrained transformer nets of each width.
// usage: node scripts/bench-style.mjs [--widths 32,16,12,8] [--runs N] [--tile SIDE] [--backend wasm|webgpu]
//   --bundle DIR: a style bundle to time instead of the untrained nets.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

import {
  TOOL, launch, makeBundle, makeSite, median, openPage, ort, removeDir, serveSite, settled, tempDir, waitFor,
} from '../tests/browser/harness.mjs';
import { encodePng } from '../tests/browser/png.mjs';

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}
const widths = option('widths', '32,16,12,8').split(',').map(Number);
const runs = Number(option('runs', 5)), tile = Number(option('tile', 768)), backend = option('backend', 'wasm');
const given = option('bundle', '');
const THUMB = 256;  // Stylizer::kThumbnail

const work = tempDir('p2p-bench-style-');
const tool = (...args) => execFileSync('node', ['--no-experimental-fetch', TOOL, ...args.map(String)], { encoding: 'utf8' });
function onnx(dir, mode) {
  const out = path.join(work, `${path.basename(dir)}-${mode}.onnx`);
  tool('onnx', dir, out, mode);
  return readFileSync(out);
}

// A photo: a smooth gradient with shapes, so that the statistics are those of an image.
function photo(side) {
  const rgb = Buffer.alloc(side * side * 3);
  for (let y = 0; y < side; y++)
    for (let x = 0; x < side; x++) {
      const i = (y * side + x) * 3, disc = (x - side * 0.6) ** 2 + (y - side * 0.4) ** 2 < (side * 0.2) ** 2;
      rgb[i] = disc ? 30 : (255 * x) / side;
      rgb[i + 1] = disc ? 200 : (255 * y) / side;
      rgb[i + 2] = 128 + 100 * Math.sin(x * 0.05 + y * 0.03);
    }
  return encodePng(rgb, side, side);
}
const nchw = (side) => new Float32Array(3 * side * side).map((_, i) => (i * 7919) % 256);

// onnxruntime-node: one run at 256, and 1024 as the page does it (thumbnail Export, Import per tile).
async function nodeTimes(dir, threads) {
  const opts = threads ? { intraOpNumThreads: threads } : {};
  const [compute, exp, imp] = await Promise.all(['compute', 'export', 'import'].map((m) => ort.InferenceSession.create(onnx(dir, m), opts)));
  const timed = async (fn) => {
    const t = [];
    for (let i = 0; i <= runs; i++) {
      const t0 = performance.now();
      await fn();
      if (i > 0) t.push(performance.now() - t0);
    }
    return median(t);
  };
  const small = await timed(() => compute.run({ input: new ort.Tensor('float32', nchw(256), [1, 3, 256, 256]) }));
  const plan = JSON.parse(tool('tiles', dir, 1024, 1024, tile));
  const big = await timed(async () => {
    const out = await exp.run({ input: new ort.Tensor('float32', nchw(THUMB), [1, 3, THUMB, THUMB]) });
    const stats = {};
    for (const name of exp.outputNames.slice(1)) stats[name] = out[name];
    for (const { input: [, , w, h] } of plan.tiles)
      await imp.run({ input: new ort.Tensor('float32', new Float32Array(3 * w * h).fill(100), [1, 3, h, w]), ...stats });
  });
  for (const s of [compute, exp, imp]) await s.release();
  return { small, big, tiles: plan.tiles.length };
}

// The page: the style panel on an opened photo; restyle() runs the same image again.
async function pageTimes(browser, url, id) {
  const page = await openPage(browser, `${url}?backend=${backend}&style=${id}&tile=${tile}`);
  await settled(page, 600000);
  const times = {};
  for (const side of [256, 1024]) {
    await waitFor(page, () => window.studio.state().style.id !== '', null, 600000);
    let s = (await page.evaluate(() => window.studio.state())).style;
    await page.setInputFiles('#style-file', { name: 'photo.png', mimeType: 'image/png', buffer: photo(side) });
    const done = (after) => waitFor(page, (n) => { const st = window.studio.state().style; return st.jobs > n && !st.busy && !st.pending || !!st.error; }, after, 900000);
    s = (await done(s.jobs)).style;  // the first run is the warm-up
    if (s.error) throw new Error(s.error);
    const t = [];
    for (let i = 0; i < (side > 256 ? Math.max(1, runs >> 1) : runs); i++) {
      await page.evaluate(() => window.studio.restyle());
      s = (await done(s.jobs)).style;
      t.push(s.last_ms);
      console.log(`  ${id} ${side}: ${s.last_ms.toFixed(0)} ms, in ONNX Runtime ${s.last_run_ms.toFixed(0)} ms`);
    }
    times[side] = { ms: median(t), tiles: s.last_tiles, threads: (await page.evaluate(() => window.studio.state())).threads };
  }
  const label = (await page.evaluate(() => window.studio.state())).backend;
  await page.context().close();
  return { ...times, label };
}

const sketch = path.join(work, 'sketch');
makeBundle(sketch, { net: 'unet_256', ngf: 4, size: 256, seed: 1 });  // the page needs a sketch model
const styles = given ? [{ id: 'given', dir: path.resolve(given), label: path.basename(given) }]
  : widths.map((w) => ({ id: `w${w}`, dir: path.join(work, `w${w}`), width: w, label: `transformer ngf ${w}` }));
for (const s of styles) if (s.width) makeBundle(s.dir, { net: 'transformer', ngf: s.width, size: 256, seed: s.width, gain: 1 });
const site = makeSite([{ id: 'sketch', dir: sketch, default: true }, ...styles.map((s) => ({ id: s.id, dir: s.dir, task: 'style' }))]);
const { server, url } = await serveSite(site);
const browser = await launch();
try {
  console.log(`style nets, page backend ${backend}, tiles of at most ${tile} px, thumbnail ${THUMB} px; median of ${runs} runs (1024: ${Math.max(1, runs >> 1)})`);
  console.log(`${'model'.padEnd(22)} ${'page 256'.padStart(9)} ${'node 256'.padStart(9)} ${'2 thr'.padStart(7)} ${'ratio'.padStart(6)}   ${'page 1024'.padStart(10)} ${'node 1024'.padStart(10)} ${'2 thr'.padStart(7)} ${'ratio'.padStart(6)}  tiles`);
  for (const s of styles) {
    const node = await nodeTimes(s.dir, 0), node2 = await nodeTimes(s.dir, 2);
    const page = await pageTimes(browser, url, s.id);
    const f = (v, n = 9) => v.toFixed(0).padStart(n);
    console.log(`${s.label.padEnd(22)} ${f(page[256].ms)} ${f(node.small)} ${f(node2.small, 7)} ${(page[256].ms / node2.small).toFixed(2).padStart(6)}   ` +
      `${f(page[1024].ms, 10)} ${f(node.big, 10)} ${f(node2.big, 7)} ${(page[1024].ms / node2.big).toFixed(2).padStart(6)}  ${page[1024].tiles}` +
      `   (${page.label}; ms; ratio: page / onnxruntime-node with 2 threads)`);
  }
} finally {
  await browser.close();
  server.close();
  removeDir(site);
  removeDir(work);
}
