// The page's speed, measured in headless Chromium next to its baselines, every ratio from one run:
// - every shipped bundle (build/web/models; --bundle adds others): the page's latency on WebAssembly with
//   N threads (?threads=N) next to onnxruntime-node with intraOpNumThreads N, on the ONNX model the page
//   builds from the bundle (graph optimisation 'all', no dropout noise). Sketch models: one run on a fixed
//   input (the page's last_ms: session.run to the output read). Styles: the style panel's whole job on a
//   photo of each --style-sizes side (above 256 px: thumbnail statistics, then tiles), onnxruntime-node
//   with the same tile plan. Last, the page on WebGPU next to onnxruntime-node with the most threads:
//   headless Chromium's WebGPU is SwiftShader, a CPU emulation, unless the machine gives it a GPU.
// - TensorFlow.js with its WebAssembly backend on a U-Net of the same layer sizes as each pix2pix U-Net
//   bundle (random weights, NHWC, the ml5.js pix2pix way: conv2d / conv2dTranspose / moments + batchNorm),
//   N threads, in its own page of the same browser, next to the page at N threads.
// - the time from opening the real page (build/web as built, ?backend=wasm) to its first output, in a fresh
//   browser context (nothing cached) and again in the same context (HTTP cache, service worker, model cache).
// Runtimes take turns, one run each with a pause after it (the page redraws after a result, in software
// when headless), so that other load on the machine falls on all alike. V8 runs WebAssembly unoptimised
// until it has tiered it up over the first runs: the first --warmup rounds are left out of the medians.
//
// usage: scripts/bench-web [--runs N] [--warmup N] [--threads 1,2] [--only NAME[,NAME]] [--bundle DIR[,DIR]]
//                          [--gpu-runs N] [--gpu-timeout S] [--style-sizes 256[,1024]] [--tile SIDE] [--visits N]
//                          [--skip-tfjs] [--skip-webgpu] [--skip-first-output] [--first-output-only]
//   --only: bundle names (folder names under build/web/models, or of --bundle folders).
//   --gpu-runs: WebGPU runs per network after the page's first, all within --gpu-timeout seconds (else none);
//     bundles of the same network (the default styles) are timed once on WebGPU.
//   --visits: pairs of visits to the page, cold and cached.
//   --first-output-only: only the time to the first output (no bundle latencies, TF.js or WebGPU).
//   --style-sizes: above 256, half as many runs and warm-up runs (at least one); --tile: the panel's tile side.
// An untrained style net of another width to time: build/wasm/make_bundle.js bundle DIR transformer WIDTH 256 SEED
// NAME 1 (run with node --no-experimental-fetch), then --bundle DIR.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

import {
  ROOT, TOOL, WEB_DIR, launch, makeSite, median, onnxOfBundle, openPage, ort, removeDir, serveSite, settled, tempDir, waitFor,
} from '../tests/browser/harness.mjs';
import { encodePng } from '../tests/browser/png.mjs';

function fail(message) {
  console.error(`bench-web: ${message}`);
  process.exit(2);
}
let opt;
try {
  ({ values: opt } = parseArgs({ options: {
    runs: { type: 'string', default: '6' }, warmup: { type: 'string', default: '3' }, threads: { type: 'string', default: '1,2' },
    only: { type: 'string', default: '' }, bundle: { type: 'string', default: '' }, visits: { type: 'string', default: '3' },
    'gpu-runs': { type: 'string', default: '1' }, 'gpu-timeout': { type: 'string', default: '300' },
    'style-sizes': { type: 'string', default: '256' }, tile: { type: 'string', default: '768' },
    'skip-tfjs': { type: 'boolean' }, 'skip-webgpu': { type: 'boolean' }, 'skip-first-output': { type: 'boolean' },
    'first-output-only': { type: 'boolean' },
  } }));
} catch (e) {
  fail(e.message);
}
function integers(name, least, many = true) {
  const vs = opt[name].split(',').map(Number);
  if (!vs.every((v) => Number.isInteger(v) && v >= least) || (!many && vs.length > 1))
    fail(`--${name}: expected ${many ? 'comma-separated integers' : 'an integer'} >= ${least}, got '${opt[name]}'`);
  return many ? vs : vs[0];
}
const runs = integers('runs', 1, false), warmup = integers('warmup', 0, false), gpuRuns = integers('gpu-runs', 1, false);
const visits = integers('visits', 1, false), tile = integers('tile', 64, false), gpuTimeout = integers('gpu-timeout', 1, false);
const threads = integers('threads', 1), styleSizes = integers('style-sizes', 256);
const THUMB = 256;  // Stylizer::kThumbnail
const scaled = (side, n) => (side > THUMB ? Math.max(1, n >> 1) : n);
const pause = () => new Promise((resolve) => setTimeout(resolve, 300));
const plural = (n, word) => `${n} ${word}${n > 1 ? 's' : ''}`;

// ---- the bundles

const shipped = JSON.parse(readFileSync(path.join(WEB_DIR, 'models', 'index.json'), 'utf8')).models
  .map((m) => ({ id: m.id, dir: path.join(WEB_DIR, 'models', m.path) }));
const extra = opt.bundle ? opt.bundle.split(',').map((d) => ({ id: path.basename(path.resolve(d)), dir: path.resolve(d) })) : [];
const all = [...shipped, ...extra].map((b) => ({ ...b, manifest: JSON.parse(readFileSync(path.join(b.dir, 'model.json'), 'utf8')) }));
const wanted = opt.only ? opt.only.split(',') : all.map((b) => b.id);
for (const w of wanted) if (!all.some((b) => b.id === w)) fail(`--only: no bundle '${w}' (${all.map((b) => b.id).join(', ')})`);
const bundles = opt['first-output-only'] ? [] : all.filter((b) => wanted.includes(b.id));
if (opt['first-output-only']) opt['skip-tfjs'] = opt['skip-webgpu'] = true, opt['skip-first-output'] = false;
const isStyle = (b) => b.manifest.task === 'style';

const work = tempDir('p2p-bench-web-');
const tool = (...args) => execFileSync('node', ['--no-experimental-fetch', TOOL, ...args.map(String)], { encoding: 'utf8' });

// A fixed input in the model's range; a photo for the style panel (a gradient with a disc).
function input(b, side) {
  const { channels: c, range: [lo, hi] } = b.manifest.input;
  return new ort.Tensor('float32', new Float32Array(c * side * side).map((_, i) => lo + (hi - lo) * (0.5 + 0.5 * Math.sin(i))), [1, c, side, side]);
}
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

// ---- runtimes: run() does one timed run and returns its ms

// onnxruntime-node; a style above the thumbnail side as the page runs it (thumbnail Export, Import per tile).
async function nodeRuntime(b, side, n) {
  const opts = { intraOpNumThreads: n, graphOptimizationLevel: 'all' };
  const label = `onnxruntime-node, ${plural(n, 'thread')}`;
  const create = (mode) => ort.InferenceSession.create(onnxOfBundle(b.dir, mode), opts);
  if (!isStyle(b) || side <= THUMB) {
    const session = await create('compute'), feeds = { [session.inputNames[0]]: input(b, side) };
    return { label, threads: n, async run() {
      const t0 = performance.now();
      await session.run(feeds);
      return performance.now() - t0;
    }, close: () => session.release() };
  }
  const [exp, imp] = [await create('export'), await create('import')];
  const plan = JSON.parse(tool('tiles', b.dir, side, side, tile));
  const thumb = input(b, THUMB), tiles = plan.tiles.map(({ input: [, , w, h] }) => new ort.Tensor('float32', new Float32Array(3 * w * h).fill(100), [1, 3, h, w]));
  return { label, threads: n, async run() {
    const t0 = performance.now();
    const out = await exp.run({ input: thumb });
    const stats = {};
    for (const name of exp.outputNames.slice(1)) stats[name] = out[name];
    for (const t of tiles) await imp.run({ input: t, ...stats });
    return performance.now() - t0;
  }, close: () => Promise.all([exp.release(), imp.release()]) };
}

// The page: a sketch model reruns on its input; a style reruns the style panel on an opened photo (on a
// site without sketch models, so that the panel has nothing else to paint). urls: { sketch, style }.
// Every wait ends by the deadline (a time in ms; Playwright's TimeoutError), or 15 minutes.
async function pageRuntime(browser, urls, b, side, query, deadline = Infinity) {
  const style = isStyle(b), left = () => Math.max(1, Math.min(900000, deadline - Date.now()));
  const page = await openPage(browser, `${style ? urls.style : urls.sketch}?${query}&${style ? `style=${b.id}&tile=${tile}` : `model=${b.id}`}`);
  const label = async () => {
    const { backend, threads: n } = await page.evaluate(() => ({ backend: window.studio.backend, threads: window.studio.threads }));
    return `page: ${backend === 'webgpu' ? `webgpu${await gpuName(page)}` : `${backend} (${plural(n, 'thread')})`}`;
  };
  const close = () => page.context().close();
  if (!style) {
    let s = await settled(page, left());  // its first run happens on load
    if (s.error) throw new Error(`${b.id} ${query}: ${s.error}`);
    return { label: await label(), first: s.last_ms, close, async run() {
      await page.evaluate(() => window.studio.rerun());
      s = await waitFor(page, (r) => window.studio.state().runs > r, s.runs, left());
      if (s.error) throw new Error(`${b.id}: ${s.error}`);
      return s.last_ms;
    } };
  }
  let st = (await waitFor(page, () => window.studio.state().style.id !== '' || !!window.studio.state().style.error, null, left())).style;
  const finish = async (action) => {
    await action();
    st = (await waitFor(page, (k) => { const x = window.studio.state().style; return (x.jobs > k && !x.busy && !x.pending) || !!x.error; }, st.jobs, left())).style;
    if (st.error) throw new Error(`${b.id}: ${st.error}`);
    return st.last_ms;
  };
  const first = await finish(() => page.setInputFiles('#style-file', { name: 'photo.png', mimeType: 'image/png', buffer: photo(side) }));
  if (st.width !== side || st.height !== side) throw new Error(`${b.id}: the panel painted ${st.width}x${st.height}, not ${side}x${side}`);
  return { label: `${await label()}, ${plural(st.last_tiles, 'tile')}`, first, close, run: () => finish(() => page.evaluate(() => window.studio.restyle())) };
}

async function gpuName(page) {
  const info = await page.evaluate(async () => {
    const a = await navigator.gpu?.requestAdapter();
    return a ? `${a.info?.vendor ?? ''} ${a.info?.architecture ?? ''} ${a.info?.description ?? ''}`.trim() : 'no adapter';
  });
  return /swiftshader/i.test(info) ? ' (SwiftShader: CPU emulation, no GPU)' : ` (${info})`;
}

// TensorFlow.js: a page of its own (served with COOP/COEP for threads) holding tf-core and tf-backend-wasm.
function tfjsSite() {
  const tf = path.join(ROOT, 'node_modules', '@tensorflow');
  const files = ['tfjs-core/dist/tf-core.min.js', 'tfjs-backend-wasm/dist/tf-backend-wasm.min.js',
    ...['', '-simd', '-threaded-simd'].map((v) => `tfjs-backend-wasm/dist/tfjs-backend-wasm${v}.wasm`)];
  const dir = path.join(work, 'tfjs');
  mkdirSync(dir);
  for (const f of files) {
    if (!existsSync(path.join(tf, f))) throw new Error(`no node_modules/@tensorflow/${f}: run npm ci (scripts/setup)`);
    symlinkSync(path.join(tf, f), path.join(dir, path.basename(f)));
  }
  writeFileSync(path.join(dir, 'index.html'),
    '<!doctype html><meta charset="utf-8"><title>TF.js</title><script src="tf-core.min.js"></script><script src="tf-backend-wasm.min.js"></script>\n');
  return dir;
}

// Runs in the TF.js page: builds the U-Net of shared/models.cpp (unet_<size>, batch norm at batch 1, i.e.
// per-image statistics) with random weights and defines window.bench.run(). Returns what the backend took.
async function tfjsSetup({ threads, size, ngf, inC, outC }) {
  const tf = window.tf;
  tf.wasm.setWasmPaths(new URL('./', location.href).href);
  tf.wasm.setThreadsCount(threads);
  if (!(await tf.setBackend('wasm'))) throw new Error('TF.js: the wasm backend did not start');
  const depth = Math.log2(size);
  const levels = [[outC, ngf], [ngf, ngf * 2], [ngf * 2, ngf * 4], [ngf * 4, ngf * 8]];  // [outer, inner] channels
  while (levels.length < depth) levels.push([ngf * 8, ngf * 8]);
  const made = [];  // every weight, to count them
  const keep = (t) => (made.push(t), t);
  const w = (shape) => keep(tf.randomNormal(shape, 0, 0.02));
  const norm = (c) => ({ scale: keep(tf.randomNormal([c], 1, 0.02)), offset: keep(tf.zeros([c])) });
  const weights = levels.map(([outer, inner], k) => ({
    down: w([4, 4, k === 0 ? inC : outer, inner]),
    up: w([4, 4, outer, k === levels.length - 1 ? inner : 2 * inner]),  // [h, w, out, in]
    downNorm: k > 0 && k < levels.length - 1 && norm(inner), upNorm: k > 0 && norm(outer), bias: k === 0 && keep(tf.zeros([outer])),
  }));
  const bn = (x, { scale, offset }) => {
    const { mean, variance } = tf.moments(x, [0, 1, 2]);
    return tf.batchNorm(x, mean, variance, offset, scale, 1e-5);
  };
  const up = (x, W, outer) => tf.conv2dTranspose(tf.relu(x), W.up, [1, x.shape[1] * 2, x.shape[2] * 2, outer], 2, 'same');
  function block(x, k) {  // 4x4 stride 2 pad 1 convolutions: 'same' padding at even sizes
    const W = weights[k], [outer] = levels[k];
    if (k === 0) return tf.tanh(tf.add(up(block(tf.conv2d(x, W.down, 2, 'same'), 1), W, outer), W.bias));
    const a = tf.leakyRelu(x, 0.2);
    const d = tf.conv2d(a, W.down, 2, 'same');
    const inner = k === levels.length - 1 ? d : block(bn(d, W.downNorm), k + 1);
    return tf.concat([a, bn(up(inner, W, outer), W.upNorm)], 3);
  }
  const x = tf.randomUniform([1, size, size, inC], -1, 1);
  window.bench = {
    async run() {
      const t0 = performance.now();
      const y = tf.tidy(() => block(x, 0));
      const data = await y.data();
      const ms = performance.now() - t0;
      const shape = y.shape.join('x');
      y.dispose();
      if (shape !== `1x${size}x${size}x${outC}` || !data.every(Number.isFinite)) throw new Error(`TF.js output ${shape}, not finite or not 1x${size}x${size}x${outC}`);
      return ms;
    },
  };
  return { threads: tf.wasm.getThreadsCount(), backend: tf.getBackend(), isolated: crossOriginIsolated, parameters: made.reduce((n, t) => n + t.size, 0),
    simd: await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'), multithread: await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT') };
}

// Learnt parameters of a bundle: its weights file's tensors less batch norm's running statistics.
function parameters(b) {
  const file = readFileSync(path.join(b.dir, b.manifest.weights.file));
  const header = JSON.parse(file.subarray(8, 8 + Number(file.readBigUInt64LE(0))).toString('utf8'));
  return Object.entries(header).filter(([k]) => k !== '__metadata__' && !/running_|num_batches/.test(k))
    .reduce((n, [, t]) => n + t.shape.reduce((a, d) => a * d, 1), 0);
}

async function tfjsRuntime(browser, url, b, n) {
  const m = b.manifest, context = await browser.newContext(), page = await context.newPage();
  // tfjs-backend-wasm caps its thread pool at navigator.hardwareConcurrency / 2 (it takes every second
  // logical core for a hyperthread): report twice the asked count, so that N threads are N on any machine.
  await page.addInitScript((k) => Object.defineProperty(Navigator.prototype, 'hardwareConcurrency', { get: () => k }), 2 * n);
  await page.goto(url);
  const info = await page.evaluate(tfjsSetup, { threads: n, size: m.input.width, ngf: Number(m.model.ngf), inC: m.input.channels, outC: m.output.channels });
  if (info.threads !== n) throw new Error(`TF.js runs ${info.threads} threads, not ${n} (${JSON.stringify(info)})`);
  if (info.parameters !== parameters(b)) throw new Error(`the TF.js U-Net has ${info.parameters} parameters, ${b.id} ${parameters(b)}`);
  const run = () => page.evaluate(() => window.bench.run());
  const first = await run();
  return { label: `TF.js ${info.backend}, ${plural(info.threads, 'thread')}${info.simd ? ', SIMD' : ''}`, info, first, run, close: () => context.close() };
}

// ---- one bundle at one size: every runtime, taking turns

const stats = (t) => ({ ms: median(t), min: Math.min(...t) });
async function measure(browser, urls, tfUrl, b, side) {  // WebAssembly and the baselines
  const pairs = [];
  for (const n of threads) {
    const p = { n, node: await nodeRuntime(b, side, n), page: await pageRuntime(browser, urls, b, side, `backend=wasm&threads=${n}`) };
    const { net, norm } = b.manifest.model;  // the TF.js net: a batch-norm U-Net (the shipped sketch model's kind)
    if (tfUrl && /^unet_\d+$/.test(net) && norm === 'batch') p.tfjs = await tfjsRuntime(browser, tfUrl, b, n);
    pairs.push(p);
  }
  const turns = pairs.flatMap((p) => [p.node, p.page, p.tfjs].filter(Boolean));
  for (const r of turns) r.times = [];
  const skip = scaled(side, warmup), total = skip + scaled(side, runs);
  for (let i = 0; i < total; i++)
    for (const r of turns) {
      r.times.push(await r.run());
      await pause();
    }
  for (const r of turns) {
    r.warm = [r.first, ...r.times.slice(0, skip)].filter((t) => t !== undefined);
    Object.assign(r, stats(r.times.slice(skip)));
    await r.close();
  }
  return pairs;
}

// WebGPU, after everything else: SwiftShader takes seconds to a minute a run, and its GPU process may go on
// with a run that timed out. Returns null when --gpu-timeout passed first.
async function measureGpu(browser, urls, b, side) {
  const deadline = Date.now() + gpuTimeout * 1000;
  let gpu = null;
  try {
    gpu = await pageRuntime(browser, urls, b, side, 'backend=webgpu', deadline);
    const t = [];
    for (let i = 0; i < gpuRuns; i++) t.push(await gpu.run());
    return Object.assign(gpu, stats(t), { warm: [gpu.first] });
  } catch (e) {
    if (e.name !== 'TimeoutError') throw e;
    return null;
  } finally {
    await gpu?.close();
  }
}

// ---- time to the first output: the real page, as a new visitor and as a returning one

async function firstOutput(browser) {
  const { server, url } = await serveSite(WEB_DIR);  // no COOP/COEP: the service worker isolates the page
  const visit = async (context) => {
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const t0 = Date.now();
    await page.goto(`${url}?backend=wasm`);
    // Polled in the page, which stamps each milestone with its own clock (a first visit reloads itself once).
    const done = await page.waitForFunction(() => {
      const now = performance.timeOrigin + performance.now(), m = (window.milestones ??= {});
      const s = window.studio && window.studio.started && window.studio.state();
      if (s) m.started ??= now;
      if (s && s.model) m.model ??= now;
      if (!s || !s.model || s.busy || s.pending || s.runs < 1 || s.output_for !== s.input_version || s.example !== 0) return s && s.error ? { error: s.error } : false;
      const marks = Object.fromEntries(performance.getEntriesByType('mark').filter((k) => k.name.startsWith('p2p:'))
        .map((k) => [k.name.slice(4), performance.timeOrigin + k.startTime]));  // the page's own steps
      return { ...m, marks, at: now, ms: s.last_ms, backend: s.backend, isolated: s.isolated };
    }, null, { polling: 20, timeout: 300000 });
    const r = await done.jsonValue();
    await page.close();
    if (r.error || errors.length) throw new Error(`first output: ${r.error || errors[0]}`);
    const since = (t) => (t - t0) / 1000;
    const steps = Object.fromEntries(Object.entries(r.marks).map(([k, t]) => [k, since(t)]));
    return { ...r, s: since(r.at), started: since(r.started), model: since(r.model), steps };
  };
  const rows = [];
  try {
    for (let v = 0; v < visits; v++) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
      rows.push({ cold: await visit(context), cached: await visit(context) });
      await context.close();
    }
  } finally {
    server.close();
  }
  return rows;
}

// ---- run and print

const cores = os.cpus().length, load0 = os.loadavg()[0], date = new Date().toISOString().slice(0, 10);
const sites = ['sketch', 'style'].map((task) => makeSite(all.filter((b) => isStyle(b) === (task === 'style'))
  .map((b, i) => ({ id: b.id, dir: b.dir, default: task === 'sketch' && i === 0, task: task === 'style' ? 'style' : undefined }))));
const served = await Promise.all(sites.map((d) => serveSite(d)));
const urls = { sketch: served[0].url, style: served[1].url };
const tf = opt['skip-tfjs'] ? null : await serveSite(tfjsSite(), { isolate: true });
const browser = await launch();
const fmt = (v, k = 8) => (v === undefined ? '' : v.toFixed(v < 100 ? 1 : 0)).padStart(k);
const readme = [];
const join = (xs, k = 0) => xs.map((v) => v.toFixed(k)).join(' / ');
const row = (b, side, r, ratio, to) => console.log(`${b.id.padEnd(30)} ${String(side).padStart(5)}  ${r.label.padEnd(52)} ${fmt(r.ms)} ${fmt(r.min)}  ` +
  `${ratio === undefined ? '1.00' : ratio.toFixed(2)}${to ? ` (${to})` : ''}   [${r.warm.map((t) => t.toFixed(0)).join(' ')}]`);
const cases = bundles.flatMap((b) => (isStyle(b) ? styleSizes : [b.manifest.input.width]).map((side) => ({
  b, side, what: `${b.id}${isStyle(b) ? ` at ${side} px` : ''}` })));
try {
  console.log(`bench-web: headless Chromium, ${cores} cores, load ${load0.toFixed(1)}; median (and minimum) of ${runs} runs after ${warmup} ` +
    'warm-up rounds, runtimes taking turns (styles above 256 px: half as many)');
  console.log(`${'bundle'.padEnd(30)} ${'size'.padStart(5)}  ${'runtime'.padEnd(52)} ${'ms'.padStart(8)} ${'min'.padStart(8)}  ratio (to)   [first runs, ms]`);
  for (const c of cases) {
    const { b, side, what } = c;
    const pairs = c.pairs = await measure(browser, urls, tf && tf.url, b, side);
    for (const { node, page, tfjs } of pairs) {
      row(b, side, node);
      row(b, side, page, page.ms / node.ms, 'page / node');
      if (tfjs) row(b, side, tfjs, tfjs.ms / page.ms, 'TF.js / page');
    }
    const ns = pairs.map((p) => p.n).join(' / ');
    readme.push([`the page, ${what}, WebAssembly ${ns} thread${pairs.length > 1 || pairs[0].n > 1 ? 's' : ''}`, `${join(pairs.map((p) => p.page.ms))} ms`,
      `onnxruntime-node ${join(pairs.map((p) => p.node.ms))} ms`, `${join(pairs.map((p) => p.page.ms / p.node.ms), 2)}x`]);
    if (pairs[0].tfjs)
      readme.push([`the page against TF.js (tfjs-backend-wasm) on a U-Net of ${what}'s layers (${b.manifest.model.net} ngf ${b.manifest.model.ngf}), ${ns} threads`,
        `${join(pairs.map((p) => p.page.ms))} ms`, `TF.js ${join(pairs.map((p) => p.tfjs.ms))} ms`, `${join(pairs.map((p) => p.tfjs.ms / p.page.ms), 1)}x faster`]);
  }
  if (!opt['skip-first-output']) {
    const rows = await firstOutput(browser);
    console.log('\ntime from opening the page (build/web, ?backend=wasm) to its first output (the first example\'s), s: ' +
      '(app started, model ready, first output) [the first run, ms]; then the page\'s own ' +
      'steps, s (performance marks p2p:*)');
    const line = (v) => `${v.s.toFixed(2)} s (${v.started.toFixed(2)}, ${v.model.toFixed(2)}) [${v.ms.toFixed(0)} ms]`;
    const steps = (v) => Object.entries(v.steps).sort((x, y) => x[1] - y[1]).map(([k, t]) => `${k} ${t.toFixed(2)}`).join(', ');
    rows.forEach(({ cold, cached }, i) => console.log(`visit ${i + 1}: cold ${line(cold)}   cached ${line(cached)}   ${cold.backend}${cold.isolated ? ', isolated' : ''}\n` +
      `         steps: cold ${steps(cold)}   cached ${steps(cached)}`));
    const cold = median(rows.map((r) => r.cold.s)), cached = median(rows.map((r) => r.cached.s));
    readme.push([`time from opening the page to the first output, cold / cached (${rows[0].cold.backend}; median of ${rows.length})`,
      `${cold.toFixed(2)} / ${cached.toFixed(2)} s`, '', '']);
  }
  if (!opt['skip-webgpu']) {
    // Bundles of one network (net, width, input) differ in weights only: one of them is timed.
    const groups = new Map();
    for (const c of cases) {
      const key = JSON.stringify([c.b.manifest.model, c.b.manifest.input, c.side]);
      groups.set(key, [...(groups.get(key) ?? []), c]);
    }
    console.log(`\nWebGPU: ${plural(gpuRuns, 'run')} after the page's first, at most ${gpuTimeout} s a network; ratio to onnxruntime-node with the most threads`);
    for (const [{ b, side, what, pairs }, ...same] of groups.values()) {
      const gpu = await measureGpu(browser, urls, b, side), most = pairs[pairs.length - 1].node;
      const also = same.length ? ` (the same net as ${same.map((c) => c.b.id).join(', ')})` : '';
      const base = `onnxruntime-node ${plural(most.threads, 'thread')} ${most.ms.toFixed(0)} ms`;
      if (!gpu) {
        console.log(`${b.id.padEnd(30)} ${String(side).padStart(5)}  page: webgpu: no output within ${gpuTimeout} s${also}`);
        readme.push([`the page, ${what}${also}, WebGPU`, `no output within ${gpuTimeout} s`, base, '']);
        continue;
      }
      row(b, side, gpu, gpu.ms / most.ms, `page / node ${most.threads}t`);
      if (also) console.log(`${''.padEnd(37)}${also}`);
      readme.push([`the page, ${what}${also}, ${gpu.label.replace('page: ', '')}`, `${gpu.ms.toFixed(0)} ms`, base, `${(gpu.ms / most.ms).toFixed(2)}x`]);
    }
  }
} finally {
  await browser.close();
  for (const { server } of served) server.close();
  if (tf) tf.server.close();
  for (const d of sites) removeDir(d);
  removeDir(work);
}
const load1 = os.loadavg()[0];
console.log(`\nREADME rows (what | this project | baseline | ratio | script, machine, date):`);
const where = `bench-web, ${cores}-core, load ${Math.min(load0, load1).toFixed(1)}-${Math.max(load0, load1).toFixed(1)}, ${date}`;
for (const r of readme) console.log(`| ${[...r, where].join(' | ')} |`);
