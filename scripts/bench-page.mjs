// Per-image latency of the page (ONNX Runtime Web on WebAssembly and on WebGPU, in headless Chromium)
// next to onnxruntime-node on the same bundle and machine, as ratios. Median of the runs after a warm-up.
// usage: node scripts/bench-page.mjs [--bundle DIR] [--runs N] [--gpu-runs N] [--backends wasm,webgpu]
//   --bundle: a model bundle (default build/web/models/edges2emoji); the page is build/web.
// Headless Chromium's WebGPU is SwiftShader (a CPU emulation) unless the machine gives it a GPU.
import { readFileSync } from 'node:fs';
import path from 'node:path';

import {
  ROOT, launch, makeSite, median, nodeLatency, onnxOfBundle, openPage, removeDir, settled, waitFor,
} from '../tests/browser/harness.mjs';

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}
const bundle = path.resolve(option('bundle', path.join(ROOT, 'build', 'web', 'models', 'edges2emoji')));
const runs = Number(option('runs', 10)), gpuRuns = Number(option('gpu-runs', 3));
const backends = option('backends', 'wasm,webgpu').split(',');
const manifest = JSON.parse(readFileSync(path.join(bundle, 'model.json'), 'utf8'));
const { height: h, width: w, channels: c } = manifest.input;

async function pageLatency(browser, url, backend, n) {
  const page = await openPage(browser, `${url}?backend=${backend}&model=bench`);
  let s = await settled(page, 900000);  // the first run (warm-up) happens on load
  if (s.error) throw new Error(`${backend}: ${s.error}`);
  const times = [];
  for (let i = 0; i < n; i++) {
    await page.evaluate(() => window.studio.rerun());
    s = await waitFor(page, (r) => window.studio.state().runs > r, s.runs, 900000);
    times.push(s.last_ms);
  }
  const label = s.backend;
  await page.context().close();
  return { ms: median(times), label };
}

const site = makeSite([{ id: 'bench', name: 'bench', dir: bundle, default: true }]);
const { serve } = await import(path.join(ROOT, 'scripts', 'serve.mjs'));
const server = await serve(site, 0);
const url = `http://127.0.0.1:${server.address().port}/`;
const browser = await launch();
try {
  const base = await nodeLatency(onnxOfBundle(bundle), c, h, w, runs);
  console.log(`bundle ${bundle} (${w}x${h})`);
  console.log(`${'runtime'.padEnd(34)} ${'ms/image'.padStart(9)}  ratio to onnxruntime-node`);
  console.log(`${'onnxruntime-node (CPU)'.padEnd(34)} ${base.toFixed(1).padStart(9)}  1.00`);
  for (const b of backends) {
    const r = await pageLatency(browser, url, b, b === 'webgpu' ? gpuRuns : runs);
    console.log(`${`page: ${r.label}`.padEnd(34)} ${r.ms.toFixed(1).padStart(9)}  ${(r.ms / base).toFixed(2)}`);
  }
} finally {
  await browser.close();
  server.close();
  removeDir(site);
}
