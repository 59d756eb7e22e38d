// Shared by the browser tests: a tiny test runner, a served copy of build/web with test bundles,
// headless Chromium (SwiftShader WebGL2/WebGPU), the page's test hook, and onnxruntime-node as reference.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(path.join(ROOT, 'package.json'));
const { chromium } = require('playwright-core');
export const ort = require('onnxruntime-node');
const { serve } = await import(path.join(ROOT, 'scripts', 'serve.mjs'));

export const WEB_DIR = path.resolve(process.env.P2P_WEB_DIR || path.join(ROOT, 'build', 'web'));
export const TOOL = path.resolve(process.env.P2P_MAKE_BUNDLE || path.join(ROOT, 'build', 'wasm', 'make_bundle.js'));
export const ARTIFACTS = path.join(ROOT, 'build', 'test-artifacts');
export const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-vulkan=swiftshader',
  '--use-webgpu-adapter=swiftshader', '--use-angle=swiftshader', '--enable-unsafe-swiftshader',
];

// ---- runner: tests run in order; each failure is reported and the rest still run

const tests = [];
let failurePage = null;  // screenshotted when a test fails
export function test(name, fn) { tests.push({ name, fn }); }
export function screenshotOnFailure(page) { failurePage = page; }
export async function run(cleanup = async () => {}) {
  let passed = 0, failed = 0;
  for (const t of tests) {
    const t0 = Date.now();
    try {
      await t.fn();
      passed++;
      console.log(`ok   ${t.name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    } catch (e) {
      failed++;
      console.log(`FAIL ${t.name}: ${e && e.stack ? e.stack : e}`);
      const slug = t.name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60);
      if (failurePage) await screenshot(failurePage, `failed-${slug}`).catch(() => {});
      if (failurePage) console.log(`     state: ${JSON.stringify(await state(failurePage).catch(() => null))}`);
    }
  }
  await cleanup().catch((e) => console.log(`cleanup: ${e}`));
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}
export function check(cond, message) { if (!cond) throw new Error(message); }

// ---- a site: build/web with its own models/ (test bundles), served on a free port

export function makeBundle(dir, { net = 'unet_256', ngf = 8, size = 256, seed = 1, name = 'test', gain = 0.02, license, attribution } = {}) {
  const args = [TOOL, 'bundle', dir, net, String(ngf), String(size), String(seed), name, String(gain)];
  if (license !== undefined) args.push(license, attribution ?? '');
  execFileSync('node', ['--no-experimental-fetch', ...args], { stdio: 'inherit' });
}

// mode (make_bundle's): the page's default graph, or 'compute' / 'export' / 'import' for a style's.
export function onnxOfBundle(dir, mode) {
  const tmp = mkdtempSync(path.join(tmpdir(), 'p2p-onnx-')), out = path.join(tmp, 'page.onnx');
  try {
    execFileSync('node', ['--no-experimental-fetch', TOOL, 'onnx', dir, out, ...(mode ? [mode] : [])], { stdio: 'inherit' });
    return readFileSync(out);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// Median ms per run of an ONNX model in onnxruntime-node (CPU, its default threads) on a fixed input of
// c x h x w, after one warm-up run: the baseline of scripts/bench-native.mjs.
export async function nodeLatency(onnx, c, h, w, n) {
  const session = await ort.InferenceSession.create(onnx);
  const input = new ort.Tensor('float32', new Float32Array(c * h * w).map((_, i) => Math.sin(i)), [1, c, h, w]);
  const times = [];
  for (let i = 0; i <= n; i++) {
    const t0 = performance.now();
    await session.run({ [session.inputNames[0]]: input });
    if (i > 0) times.push(performance.now() - t0);
  }
  await session.release();
  return median(times);
}

// models: [{ id, name, dir (a bundle folder to serve) | files ({name: contents}), default, task ('style': the style panel's) }]
// examples: serve build/web's example inputs too (the page then opens on the first); without them it starts blank.
export function makeSite(models, { examples = false } = {}) {
  check(readdirSync(WEB_DIR).includes('studio.js'), `${WEB_DIR} has no studio.js: run scripts/build wasm first`);
  const site = mkdtempSync(path.join(tmpdir(), 'p2p-site-'));
  for (const f of readdirSync(WEB_DIR))
    if (f !== 'models' && (examples || f !== 'examples')) symlinkSync(path.join(WEB_DIR, f), path.join(site, f));
  mkdirSync(path.join(site, 'models'));
  const index = { models: [] };
  for (const m of models) {
    const dest = path.join(site, 'models', m.id);
    if (m.dir) symlinkSync(path.resolve(m.dir), dest);
    else {
      mkdirSync(dest);
      for (const [f, data] of Object.entries(m.files)) writeFileSync(path.join(dest, f), data);
    }
    const entry = { id: m.id, name: m.name ?? m.id, path: m.id, default: !!m.default, license: m.license ?? '' };
    if (m.task) entry.task = m.task;
    index.models.push(entry);
  }
  writeFileSync(path.join(site, 'models', 'index.json'), JSON.stringify(index, null, 2));
  return site;
}

export async function serveSite(dir, options) {
  const server = await serve(dir, 0, options);
  return { server, url: `http://127.0.0.1:${server.address().port}/` };
}

export function tempDir(prefix) { return mkdtempSync(path.join(tmpdir(), prefix)); }
export function removeDir(d) { rmSync(d, { recursive: true, force: true }); }

// ---- the browser and the page's test hook (window.studio, see web/bridge.js)

export async function launch() {
  return chromium.launch({ executablePath: process.env.P2P_CHROMIUM || '/usr/bin/chromium', args: CHROMIUM_ARGS });
}

export async function openPage(browser, url, { viewport = { width: 1280, height: 720 }, deviceScaleFactor = 1, hasTouch = false } = {}) {
  const context = await browser.newContext({ viewport, deviceScaleFactor, hasTouch, acceptDownloads: true });
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  page.on('console', (m) => { if (process.env.P2P_TEST_VERBOSE) console.log(`  [page] ${m.text()}`); });
  await page.goto(url);
  await page.waitForFunction(() => window.studio && window.studio.started, null, { timeout: 60000 });
  return page;
}

export const state = (page) => page.evaluate(() => window.studio.state());

// Waits until the output was computed from the input as it is now, and nothing is queued.
export async function settled(page, timeout = 120000) {
  await page.waitForFunction(() => {
    const s = window.studio.state();
    if (s.error && !s.model) return true;  // nothing will come
    return s.model && !s.busy && !s.pending && !s.preparing && !s.downloading && !s.stroking && !s.queued_events &&
      s.runs > 0 && s.output_for === s.input_version;
  }, null, { timeout, polling: 100 });
  return state(page);
}

export async function waitFor(page, predicate, arg, timeout = 60000) {
  await page.waitForFunction(predicate, arg, { timeout, polling: 100 });
  return state(page);
}

// A stroke with real mouse events through points given in drawing pixels.
export async function stroke(page, points, steps = 6) {
  const s = await state(page);
  const r = s.rects.input;
  const k = r.w / s.width;
  const at = ([x, y]) => [r.x + x * k, r.y + y * k];
  await page.mouse.move(...at(points[0]));
  await page.mouse.down();
  for (const p of points.slice(1)) await page.mouse.move(...at(p), { steps });
  await page.mouse.up();
  await drawn(page);
}

// Waits until the app has drawn every pointer event it was sent.
export async function drawn(page) {
  await waitFor(page, () => { const s = window.studio.state(); return !s.queued_events && !s.stroking; });
}

// The same with a finger: touch events through the DevTools protocol, as a touch screen sends them.
export async function touchStroke(page, points) {
  const s = await state(page);
  const r = s.rects.input;
  const k = r.w / s.width;
  const at = ([x, y]) => ({ x: r.x + x * k, y: r.y + y * k });
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [at(points[0])] });
  for (let i = 1; i < points.length; i++)
    for (let t = 1; t <= 6; t++) {
      const [a, b] = [points[i - 1], points[i]];
      await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: [at([a[0] + (b[0] - a[0]) * t / 6, a[1] + (b[1] - a[1]) * t / 6])] });
    }
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
  await cdp.detach();
  await drawn(page);
}

export async function click(page, control) {
  const s = await waitFor(page, (c) => !!window.studio.state().rects[c], control, 10000).catch(() => state(page));
  const r = s.rects[control];
  check(r, `no control '${control}' on the page (${Object.keys(s.rects).join(', ')})`);
  await page.mouse.click(r.x + r.w / 2, r.y + r.h / 2);
}

// Picks a model in the model picker with the mouse.
export async function selectModel(page, id) {
  await click(page, 'model');
  await click(page, `model_item_${id}`);
  await waitFor(page, (i) => { const s = window.studio.state(); return s.downloading === i || s.preparing === i || s.error.startsWith(i) || s.model === i; }, id);
}

export async function inputPixels(page) {
  return Buffer.from(await page.evaluate(() => window.studio.inputPixels()), 'base64');
}
export async function outputPixels(page) {
  const b = await page.evaluate(() => window.studio.outputPixels());
  return b ? Buffer.from(b, 'base64') : null;
}
export async function onnxBytes(page) {
  return Buffer.from(await page.evaluate(() => window.studio.onnxBytes()), 'base64');
}

// The output as the page shows it: a screenshot of the output pane, one sample per model pixel.
export async function shownOutput(page) {
  const { decodePng } = await import('./png.mjs');
  const s = await state(page);
  const r = s.rects.output;
  const shot = decodePng(await page.screenshot({ clip: { x: r.x, y: r.y, width: r.w, height: r.h } }));
  const k = shot.width / s.width, rgb = Buffer.alloc(s.width * s.height * 3);
  for (let y = 0; y < s.height; y++)
    for (let x = 0; x < s.width; x++) {
      const src = (Math.floor((y + 0.5) * k) * shot.width + Math.floor((x + 0.5) * k)) * shot.channels;
      for (let c = 0; c < 3; c++) rgb[(y * s.width + x) * 3 + c] = shot.pixels[src + c];
    }
  return rgb;
}

export async function screenshot(page, name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`) });
}

// ---- reference: onnxruntime-node on the same pixels, converted as shared/image.cpp does

export async function referenceOutput(onnx, rgb, width, height, lo = -1, hi = 1) {
  const f = Math.fround, range = f(hi - lo), n = width * height;
  const input = new Float32Array(3 * n);
  for (let c = 0; c < 3; c++)
    for (let i = 0; i < n; i++) input[c * n + i] = f(lo + f(range * f(rgb[i * 3 + c] / 255)));
  const session = await ort.InferenceSession.create(onnx);
  const out = (await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', input, [1, 3, height, width]) }))[session.outputNames[0]];
  const [, oc] = out.dims;
  const rgbOut = Buffer.alloc(3 * n);
  for (let c = 0; c < 3; c++)
    for (let i = 0; i < n; i++) {
      const v = f(f(f(out.data[(oc === 1 ? 0 : c) * n + i] - lo) / range) * 255);
      rgbOut[i * 3 + c] = v >= 255 ? 255 : v > 0 ? Math.trunc(v) : 0;
    }
  await session.release();
  return rgbOut;
}

export function difference(a, b) {
  check(a.length === b.length, `sizes differ: ${a.length} vs ${b.length}`);
  let sum = 0, max = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    sum += d;
    if (d > max) max = d;
  }
  return { mean: sum / a.length, max };
}

// Pixels of the drawing that are not white (any channel below 250).
export function inked(rgb) {
  let n = 0;
  for (let i = 0; i < rgb.length; i += 3) if (rgb[i] < 250 || rgb[i + 1] < 250 || rgb[i + 2] < 250) n++;
  return n;
}
