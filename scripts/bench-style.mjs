// Style transfer speed: the page's style panel (ONNX Runtime Web, WebAssembly; headless Chromium) on a
// 256x256 photo (one run) and a 1024x1024 photo (thumbnail statistics, then tiles), next to onnxruntime-node
// on the same ONNX models and the same tile plan, thread count for thread count (the page with ?threads=N,
// onnxruntime-node with intraOpNumThreads N), as ratios. Untrained transformer nets of each width.
// The page's time is the panel's whole job (its tiles, statistics and blending included); the two take
// turns, one job each with a pause after it (the page redraws after a job, in software when headless), so
// that other load on the machine falls on both alike, after warm-up jobs that give V8 time to tier the
// page's WebAssembly up to optimised code.
// usage: node scripts/bench-style.mjs [--widths 32,16,12,8] [--runs N] [--warmup N] [--threads 1,2] [--tile SIDE]
//                                     [--backend wasm|webgpu]
//   --bundle DIR: a style bundle to time instead of the untrained nets.
//   --runs and --warmup count 256 px jobs; at 1024 px, half as many (at least one).
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
const runs = Number(option('runs', 5)), warmup = Number(option('warmup', 3)), tile = Number(option('tile', 768));
const threads = option('threads', '1,2').split(',').map(Number), backend = option('backend', 'wasm');
const given = option('bundle', '');
const THUMB = 256;  // Stylizer::kThumbnail
const SIDES = [256, 1024];
const count = (side, n) => (side > 256 ? Math.max(1, n >> 1) : n);
const pause = () => new Promise((resolve) => setTimeout(resolve, 300));

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

// onnxruntime-node: job(side) is one run at 256, or 1024 as the page does it (thumbnail Export, Import per tile).
async function nodeJobs(dir, n) {
  const opts = { intraOpNumThreads: n, graphOptimizationLevel: 'all' };
  const [compute, exp, imp] = await Promise.all(['compute', 'export', 'import'].map((m) => ort.InferenceSession.create(onnx(dir, m), opts)));
  const plan = JSON.parse(tool('tiles', dir, 1024, 1024, tile));
  const small = new ort.Tensor('float32', nchw(256), [1, 3, 256, 256]), thumb = new ort.Tensor('float32', nchw(THUMB), [1, 3, THUMB, THUMB]);
  const tiles = plan.tiles.map(({ input: [, , w, h] }) => new ort.Tensor('float32', new Float32Array(3 * w * h).fill(100), [1, 3, h, w]));
  return {
    async job(side) {
      const t0 = performance.now();
      if (side === 256) {
        await compute.run({ input: small });
      } else {
        const out = await exp.run({ input: thumb });
        const stats = {};
        for (const name of exp.outputNames.slice(1)) stats[name] = out[name];
        for (const t of tiles) await imp.run({ input: t, ...stats });
      }
      return performance.now() - t0;
    },
    close: () => Promise.all([compute, exp, imp].map((s) => s.release())),
  };
}

// The page: the style panel on an opened photo; restyle() runs the same image again.
async function pageJobs(browser, url, id, n) {
  const page = await openPage(browser, `${url}?backend=${backend}&style=${id}&tile=${tile}&threads=${n}`);
  await settled(page, 600000);
  await waitFor(page, () => window.studio.state().style.id !== '', null, 600000);
  let s = (await page.evaluate(() => window.studio.state())).style;
  const done = (after) => waitFor(page, (k) => { const st = window.studio.state().style; return st.jobs > k && !st.busy && !st.pending || !!st.error; }, after, 900000);
  const finish = async () => {
    s = (await done(s.jobs)).style;
    if (s.error) throw new Error(s.error);
    return s.last_ms;
  };
  return {
    async open(side) {  // its first job
      await page.setInputFiles('#style-file', { name: 'photo.png', mimeType: 'image/png', buffer: photo(side) });
      return finish();
    },
    async job() {
      await page.evaluate(() => window.studio.restyle());
      return finish();
    },
    tiles: () => s.last_tiles,
    label: async () => (await page.evaluate(() => window.studio.state())).backend,
    close: () => page.context().close(),
  };
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
  console.log(`style nets, page backend ${backend}, tiles of at most ${tile} px, thumbnail ${THUMB} px; median of ${runs} jobs ` +
    `(1024: ${count(1024, runs)}) after ${warmup} warm-up jobs (1024: ${count(1024, warmup)}), page and onnxruntime-node taking turns`);
  console.log(`${'model'.padEnd(22)} ${'thr'.padStart(3)} ${'page 256'.padStart(9)} ${'node 256'.padStart(9)} ${'ratio'.padStart(6)}   ` +
    `${'page 1024'.padStart(10)} ${'node 1024'.padStart(10)} ${'ratio'.padStart(6)}  tiles  (ms; ratio: page / onnxruntime-node)`);
  for (const s of styles)
    for (const n of threads) {
      const node = await nodeJobs(s.dir, n), page = await pageJobs(browser, url, s.id, n);
      const row = {};
      for (const side of SIDES) {
        await page.open(side);
        const p = [], q = [];
        for (let i = 0; i < count(side, warmup) + count(side, runs); i++) {
          p.push(await page.job());
          await pause();
          q.push(await node.job(side));
          await pause();
        }
        p.splice(0, count(side, warmup)), q.splice(0, count(side, warmup));
        row[side] = { page: median(p), node: median(q) };
      }
      const f = (v, k = 9) => v.toFixed(0).padStart(k);
      const r = (side) => (row[side].page / row[side].node).toFixed(2).padStart(6);
      console.log(`${s.label.padEnd(22)} ${String(n).padStart(3)} ${f(row[256].page)} ${f(row[256].node)} ${r(256)}   ` +
        `${f(row[1024].page, 10)} ${f(row[1024].node, 10)} ${r(1024)}  ${String(page.tiles()).padStart(5)}  (${await page.label()})`);
      await page.close();
      await node.close();
    }
} finally {
  await browser.close();
  server.close();
  removeDir(site);
  removeDir(work);
}
