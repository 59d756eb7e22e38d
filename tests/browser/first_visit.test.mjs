// A new visitor's page, as built (build/web: edges2emoji and the example inputs): it opens on the first
// example with the model's output already there; the example row switches the drawing and the output
// (undoably); wide screens put the panels side by side, a phone stacks them and draws by touch; the
// model download shows progress, with ONNX Runtime starting meanwhile; it works from a sub-path; a
// failing WebGPU is named in one line and WebAssembly carries on; a dropped photo becomes the input.
import { mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import path from 'node:path';

import {
  WEB_DIR, check, click, difference, inked, inputPixels, launch, onnxBytes, openPage, outputPixels, referenceOutput,
  removeDir, run, screenshot, screenshotOnFailure, serveSite, settled, shownOutput, state, tempDir, test, touchStroke,
  waitFor,
} from './harness.mjs';
import { decodePng, encodePng } from './png.mjs';

const listed = JSON.parse(readFileSync(path.join(WEB_DIR, 'examples', 'index.json'), 'utf8')).examples;
check(listed.length >= 2, `${WEB_DIR}/examples/index.json lists ${listed.length} examples: run scripts/build wasm first`);
const { server, url } = await serveSite(WEB_DIR);  // no COOP/COEP: the service worker provides isolation
const browser = await launch();
const pages = [];  // each one's uncaught errors are checked at the end
function track(page) {
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  pages.push(page);
  screenshotOnFailure(page);
  return page;
}
async function open(address, options) {
  const page = await openPage(browser, address, options);
  pages.push(page);
  screenshotOnFailure(page);
  return page;
}

// An example file as the drawing holds it: RGB (the files are grey, 256x256 like the model).
function examplePixels(i) {
  const png = decodePng(readFileSync(path.join(WEB_DIR, 'examples', listed[i].file)));
  const rgb = Buffer.alloc(png.width * png.height * 3);
  for (let p = 0; p < png.width * png.height; p++)
    for (let c = 0; c < 3; c++) rgb[p * 3 + c] = png.pixels[p * png.channels + (png.channels >= 3 ? c : 0)];
  return rgb;
}

// Per-channel standard deviation of an RGB buffer, averaged: near 0 for a uniform (blank, brown) square.
function spread(rgb) {
  let total = 0;
  for (let c = 0; c < 3; c++) {
    let sum = 0, sq = 0;
    for (let i = c; i < rgb.length; i += 3) sum += rgb[i], sq += rgb[i] * rgb[i];
    const n = rgb.length / 3, mean = sum / n;
    total += Math.sqrt(Math.max(0, sq / n - mean * mean));
  }
  return total / 3;
}

// The output came from the model: what onnxruntime-node computes from the same pixels with the page's
// ONNX bytes (tolerance as in inference.test.mjs), and the page shows it (exactly at whole scales; a
// pane shrunk below the model's size, as on a phone, is filtered, so there it must just not be uniform).
async function fromModel(page, s) {
  const output = await outputPixels(page);
  check(output, 'no output');
  const ref = await referenceOutput(await onnxBytes(page), await inputPixels(page), s.width, s.height);
  const d = difference(output, ref);
  check(d.mean <= 2 && d.max <= 16, `the output is not the model's: mean |diff| ${d.mean.toFixed(2)}, max ${d.max} vs onnxruntime-node`);
  const shown = await shownOutput(page);
  if (s.rects.output.w >= s.width) check(difference(shown, output).mean < 1, 'the output pane does not show the output');
  else check(spread(shown) > 20, `the shrunk output pane is nearly uniform (std dev ${spread(shown).toFixed(1)})`);
  return shown;
}

test('first visit: the first example is drawn and its output is there, with no input at all', async () => {
  const page = await open(`${url}?backend=wasm`);
  const s = await settled(page, 300000);
  check(!s.error && s.model === 'edges2emoji', `model '${s.model}', error '${s.error}'`);
  check(s.examples.length === listed.length && s.example === 0, `examples ${JSON.stringify(s.examples)}, showing ${s.example}`);
  check((await inputPixels(page)).equals(examplePixels(0)), `the input is not the first example (${listed[0].file})`);
  check(s.undo === 0 && s.runs >= 1 && s.output_for === s.input_version, `undo ${s.undo}, runs ${s.runs}, output for ${s.output_for} of ${s.input_version}`);
  const shown = await fromModel(page, s);
  const sd = spread(shown);
  console.log(`  first output: ${s.last_ms.toFixed(0)} ms, pane std dev ${sd.toFixed(1)} (of 255)`);
  check(sd > 20, `the output pane is nearly uniform (std dev ${sd.toFixed(1)})`);
  // Wide screen: tools | input | output side by side, the example row under the images.
  const r = s.rects;
  check(!s.compact && r.pen.x + r.pen.w < r.input.x && r.output.x >= r.input.x + r.input.w && r.output.y === r.input.y,
    `wide layout: pen ${JSON.stringify(r.pen)}, input ${JSON.stringify(r.input)}, output ${JSON.stringify(r.output)}`);
  check(r.example_0.y >= r.input.y + r.input.h, 'the example row is not under the images');
  await screenshot(page, 'first-visit');
});

test('the example row switches the drawing and the output; undo brings the previous example back', async () => {
  const page = pages[0];
  let s = await state(page);
  const before = await outputPixels(page), pick = listed.length - 1;
  await click(page, `example_${pick}`);
  s = await waitFor(page, (i) => window.studio.state().example === i, pick, 10000);
  s = await settled(page);
  check((await inputPixels(page)).equals(examplePixels(pick)), `the input is not example ${pick} (${listed[pick].file})`);
  check(s.undo === 1, `picking an example left ${s.undo} undo steps`);
  await fromModel(page, s);
  const changed = difference(before, await outputPixels(page)).mean;
  check(changed > 5, `the output hardly changed with the example (mean ${changed.toFixed(1)})`);
  await click(page, 'undo');
  s = await waitFor(page, () => window.studio.state().undo === 0);
  check((await inputPixels(page)).equals(examplePixels(0)), 'undo did not bring the first example back');
  await settled(page);
  await screenshot(page, 'first-visit-example');
});

test('phone (390x844, touch): images on top, panels stacked under them, a finger stroke draws', async () => {
  const page = await open(`${url}?backend=wasm`, { viewport: { width: 390, height: 844 }, hasTouch: true });
  let s = await settled(page, 300000);
  const r = s.rects;
  check(s.compact, 'the phone layout is not compact');
  for (const [name, q] of Object.entries(r))
    if (!name.startsWith('model_item_')) check(q.x >= 0 && q.x + q.w <= 390 + 0.5, `${name} sticks out of the screen: ${JSON.stringify(q)}`);
  check(r.pen.y >= r.input.y + r.input.h && r.example_0.y >= r.input.y + r.input.h,
    `not stacked: input ${JSON.stringify(r.input)}, pen ${JSON.stringify(r.pen)}, examples ${JSON.stringify(r.example_0)}`);
  check(r.status.y + r.status.h <= 844 && r.pen.y + r.pen.h <= 844, 'the tools or the status line are below the screen');
  const before = inked(await inputPixels(page));
  await touchStroke(page, [[20, 230], [128, 200], [236, 230]]);
  s = await settled(page);
  const after = inked(await inputPixels(page));
  check(after > before + 100, `the touch stroke drew ${after - before} pixels`);
  check(s.example === -1 && s.undo === 1, `after the stroke: example ${s.example}, undo ${s.undo}`);
  await fromModel(page, s);
  await screenshot(page, 'first-visit-phone');
});

test('the model download shows its progress over the empty output', async () => {
  const page = track(await browser.newPage());
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 20, downloadThroughput: 2e6, uploadThroughput: -1 });
  await page.goto(`${url}?backend=wasm&sw=0`);
  const s = await waitFor(page, () => {
    const s = window.studio?.started && window.studio.state();
    return s && s.download_total > 0 && s.download_loaded > 0 && s.download_loaded < s.download_total && s.rects.download_progress;
  }, null, 60000);
  console.log(`  seen: ${(s.download_loaded / 1e6).toFixed(1)} of ${(s.download_total / 1e6).toFixed(1)} MB`);
  const bar = s.rects.download_progress, out = s.rects.output;
  check(bar.y >= out.y && bar.y + bar.h <= out.y + out.h + 1, 'the progress bar is not over the output pane');
  await screenshot(page, 'first-visit-download');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  await settled(page, 300000);
});

// ONNX Runtime Web compiles its WebAssembly at the first session unless the page starts it (runtime.js):
// here the weights are held back until ONNX Runtime has asked for its .wasm, so the page must start it
// before it has a model (else the .wasm comes only after the weights, and the test says so).
test('ONNX Runtime starts while the model downloads, not after it', async () => {
  const context = await browser.newContext();
  const page = track(await context.newPage());
  let asked, askedAt = 0, heldAt = 0, releasedAt = 0;
  const ortAsked = new Promise((resolve) => (asked = resolve));
  context.on('request', (r) => {
    if (/\/ort\/ort-wasm[\w.-]*\.wasm$/.test(new URL(r.url()).pathname)) askedAt ||= Date.now(), asked();
  });
  await context.route('**/models/**/*.safetensors', async (route) => {
    heldAt = Date.now();
    await Promise.race([ortAsked, new Promise((resolve) => setTimeout(resolve, 60000))]);
    releasedAt = Date.now();
    await route.continue();
  });
  await page.goto(`${url}?backend=wasm&sw=0`);
  await page.waitForFunction(() => window.studio && window.studio.started, null, { timeout: 60000 });
  const s = await settled(page, 300000);
  check(heldAt > 0, 'the weights were never requested');
  check(askedAt > 0 && askedAt <= releasedAt, 'ONNX Runtime did not ask for its WebAssembly while the weights were held back (60 s)');
  check(!s.error && s.runs >= 1, `model '${s.model}', error '${s.error}'`);
  await fromModel(page, s);
  await context.close();
});

test('from a sub-path of a static host: everything loads from under it', async () => {
  const root = tempDir('p2p-subpath-');
  mkdirSync(path.join(root, 'some', 'sub'), { recursive: true });
  symlinkSync(WEB_DIR, path.join(root, 'some', 'sub', 'path'));
  const sub = await serveSite(root);
  try {
    const requested = [], failed = [];
    const context = await browser.newContext();
    context.on('request', (q) => requested.push(new URL(q.url()).pathname));
    context.on('response', (r) => { if (r.status() >= 400) failed.push(`${r.status()} ${new URL(r.url()).pathname}`); });
    const page = track(await context.newPage());
    await page.goto(`${sub.url}some/sub/path/?backend=wasm`);
    await page.waitForFunction(() => window.studio && window.studio.started, null, { timeout: 60000 });
    const s = await settled(page, 300000);
    check(!s.error && s.model === 'edges2emoji' && s.example === 0, `model '${s.model}', example ${s.example}, error '${s.error}'`);
    await fromModel(page, s);
    const outside = requested.filter((p) => !p.startsWith('/some/sub/path/'));
    check(requested.length > 5 && outside.length === 0, `requests outside the sub-path: ${outside.join(', ')}`);
    check(failed.length === 0, `failed requests: ${failed.join(', ')}`);
    await context.close();
  } finally {
    sub.server.close();
    removeDir(root);
  }
});

// WebGPU fails two ways: no adapter, or an adapter that cannot make a device (session creation fails).
const noAdapter = () => { if (navigator.gpu) navigator.gpu.requestAdapter = async () => null; };
const brokenAdapter = () => {
  if (navigator.gpu) navigator.gpu.requestAdapter = async () => ({ features: new Set(), limits: {}, requestDevice: async () => { throw new Error('device lost (test)'); } });
};
for (const [how, script, pattern] of [['no adapter', noAdapter, /no adapter/], ['session creation fails', brokenAdapter, /could not run the model/]]) {
  test(`WebGPU fallback (${how}): one line says so and WebAssembly computes the output`, async () => {
    const context = await browser.newContext();
    await context.addInitScript(script);
    const page = track(await context.newPage());
    await page.goto(url);  // no ?backend: the page picks
    await page.waitForFunction(() => window.studio && window.studio.started, null, { timeout: 60000 });
    const s = await settled(page, 300000);
    console.log(`  backend '${s.backend}', note '${s.backend_note}'`);
    check(!s.error && s.backend.startsWith('wasm'), `backend '${s.backend}', error '${s.error}'`);
    check(pattern.test(s.backend_note) && /WebAssembly/.test(s.backend_note) && !s.backend_note.includes('\n'),
      `the note '${s.backend_note}' does not say WebGPU failed (${how}) in one line`);
    check(s.rects.backend_note, 'the note is not shown');
    await fromModel(page, s);
    await screenshot(page, `first-visit-webgpu-${how.replace(/ /g, '-')}`);
    await context.close();
  });
}

test('a photo dropped on the page becomes the input (undoably), and the model runs on it', async () => {
  const page = pages[0];
  let s = await settled(page);
  // 300x200: dark left half, light right half; centre-cropped and scaled to 256: the edge at x = 128.
  const W = 300, H = 200, rgb = Buffer.alloc(W * H * 3);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) rgb.fill(x < 150 ? 40 : 220, (y * W + x) * 3, (y * W + x) * 3 + 3);
  const png = encodePng(rgb, W, H).toString('base64');
  const highlighted = await page.evaluate((b64) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const dt = new DataTransfer();
    dt.items.add(new File([bytes], 'photo.png', { type: 'image/png' }));
    const canvas = document.getElementById('canvas');
    canvas.dispatchEvent(new DragEvent('dragenter', { dataTransfer: dt, bubbles: true, cancelable: true }));
    canvas.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
    const on = document.body.classList.contains('dragging');
    canvas.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    return on && !document.body.classList.contains('dragging');
  }, png);
  check(highlighted, 'the page is not outlined while a file is dragged over it');
  s = await waitFor(page, (v) => window.studio.state().input_version !== v, s.input_version, 10000);
  s = await settled(page);
  const input = await inputPixels(page), px = (x, y) => input[(y * 256 + x) * 3];
  check(Math.abs(px(30, 128) - 40) <= 2 && Math.abs(px(226, 128) - 220) <= 2, `the dropped photo is not the input: ${px(30, 128)}, ${px(226, 128)}`);
  check(s.notice.includes('300x200') && s.undo >= 1 && s.example === -1, `notice '${s.notice}', undo ${s.undo}, example ${s.example}`);
  await fromModel(page, s);
  await screenshot(page, 'first-visit-dropped');
});

await run(async () => {
  for (const p of pages) check(p.errors.length === 0, `page errors: ${p.errors.join('; ')}`);
  await browser.close();
  server.close();
});
