// The page draws with real mouse events and computes the output in the browser, on WebAssembly and on
// WebGPU (SwiftShader): the output equals what onnxruntime-node computes from the same input pixels
// and the same ONNX bytes, and those bytes are what shared/ (and `pix2pix export`) write for the bundle.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

import {
  ROOT, check, difference, inked, inputPixels, launch, makeBundle, makeSite, onnxBytes, onnxOfBundle, openPage,
  outputPixels, referenceOutput, removeDir, run, screenshot, serveSite, settled, shownOutput, stroke, tempDir, test,
} from './harness.mjs';

const work = tempDir('p2p-inference-');
// A larger init gain than the reference's 0.02 makes the untrained output vary with the input, so that
// the comparison below means something. SwiftShader's WebGPU takes tens of seconds per unet_256 run,
// so WebGPU runs a unet_128 at 128x128.
const bundles = {
  u256: { net: 'unet_256', ngf: 8, size: 256, seed: 7, name: 'U-Net 256 (test)', gain: 0.2 },
  u128: { net: 'unet_128', ngf: 8, size: 128, seed: 8, name: 'U-Net 128 (test)', gain: 0.2 },
};
for (const [id, b] of Object.entries(bundles)) makeBundle(path.join(work, id), b);
const site = makeSite(Object.keys(bundles).map((id, i) => ({ id, dir: path.join(work, id), default: i === 0 })));
const { server, url } = await serveSite(site);  // no COOP/COEP: the service worker provides isolation
const browser = await launch();

// Tolerance: ONNX Runtime Web (wasm SIMD, or WebGPU shaders) and onnxruntime-node (native MLAS) add
// in other orders, so floats differ around 1e-6 (wasm) to 1e-4 (WebGPU); the output is truncated to
// 8 bits, so such a difference turns a pixel by at most a level or two. A mean of 2/255 allows that and
// still fails on any real mistake (wrong input scaling, channels, norm mode), which moves most pixels.
const MEAN_LIMIT = 2, MAX_LIMIT = 16;

for (const [backend, model] of [['wasm', 'u256'], ['webgpu', 'u128']]) {
  test(`${backend}: mouse strokes give the output onnxruntime-node computes for the same pixels`, async () => {
    const page = await openPage(browser, `${url}?backend=${backend}&model=${model}`);
    let s = await settled(page, 300000);
    check(!s.error, `error shown: ${s.error}`);
    check(s.model === model, `model ${s.model}, wanted ${model}`);
    check(s.backend.startsWith(backend), `backend '${s.backend}', wanted ${backend}`);
    check(s.width === bundles[model].size, `canvas ${s.width}x${s.height} for a ${bundles[model].size} model`);
    const blank = await outputPixels(page);

    const k = s.width / 256;
    await stroke(page, [[20, 30], [60, 90], [110, 40], [200, 60]].map(([x, y]) => [x * k, y * k]));
    await stroke(page, [[30, 200], [120, 160], [230, 220]].map(([x, y]) => [x * k, y * k]));
    s = await settled(page, 300000);
    const input = await inputPixels(page);
    check(inked(input) > 300 * k, `the strokes left ${inked(input)} inked pixels`);
    const output = await outputPixels(page);

    const onnx = await onnxBytes(page);
    check(onnx.equals(onnxOfBundle(path.join(work, model))), 'the page built other ONNX bytes than make_bundle does from the bundle');
    const ref = await referenceOutput(onnx, input, s.width, s.height);
    const d = difference(output, ref);
    console.log(`  ${backend}: ${s.width}x${s.height}, ${s.last_ms.toFixed(0)} ms per image, vs onnxruntime-node mean |diff| ${d.mean.toFixed(3)}, max ${d.max} (of 255)`);
    check(d.mean <= MEAN_LIMIT && d.max <= MAX_LIMIT, `output differs from onnxruntime-node: mean ${d.mean}, max ${d.max}`);
    const shown = difference(await shownOutput(page), output);
    check(shown.mean < 1, `the page does not show the output it computed (mean difference ${shown.mean})`);
    const changed = difference(blank, output);
    check(changed.mean > 2, `the output hardly changed after drawing (mean ${changed.mean})`);
    check(s.maxInFlight === 1, `${s.maxInFlight} runs were in flight at once`);
    if (backend === 'wasm') {
      check(s.isolated, 'the page is not cross-origin isolated (service worker)');
      check(s.threads === Math.min(4, (await page.evaluate(() => navigator.hardwareConcurrency)) || 1), `threads ${s.threads}`);
    }
    await screenshot(page, `inference-${backend}`);
    check(page.errors.length === 0, `page errors: ${page.errors.join('; ')}`);
    await page.context().close();
  });
}

// The benchmarks set the page's thread count.
test('?threads=1: WebAssembly on one thread, the same output', async () => {
  const page = await openPage(browser, `${url}?backend=wasm&model=u256&threads=1`);
  const s = await settled(page, 300000);
  check(s.threads === 1 && s.backend === 'wasm (1 thread)', `threads ${s.threads}, backend '${s.backend}'`);
  const d = difference(await outputPixels(page), await referenceOutput(await onnxBytes(page), await inputPixels(page), s.width, s.height));
  check(d.mean <= MEAN_LIMIT && d.max <= MAX_LIMIT, `output differs from onnxruntime-node: mean ${d.mean}, max ${d.max}`);
  check(page.errors.length === 0, `page errors: ${page.errors.join('; ')}`);
  await page.context().close();
});

// The native exporter writes the same bytes (scripts/build builds build/bin/pix2pix: its absence is a failure).
test('pix2pix export --onnx writes the bytes the page builds', async () => {
  const bin = path.join(ROOT, 'build', 'bin', 'pix2pix');
  check(existsSync(bin), `${bin} is not built (scripts/build native)`);
  const out = path.join(work, 'native.onnx');
  try {
    execFileSync(bin, ['export', '--model', path.join(work, 'u256', 'weights.safetensors'), '--onnx', out], { stdio: 'pipe' });
  } catch (e) {
    throw new Error(`pix2pix export failed: ${String(e.stderr || e).trim().split('\n')[0]}`);
  }
  check(readFileSync(out).equals(onnxOfBundle(path.join(work, 'u256'))), 'native export and the page differ');
});

await run(async () => {
  await browser.close();
  server.close();
  removeDir(site);
  removeDir(work);
});
