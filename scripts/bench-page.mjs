// Per-image latency of the page (ONNX Runtime Web in headless Chromium) next to onnxruntime-node on the same
// bundle and machine, thread count for thread count, as ratios.
// Both sides run the ONNX model the page builds from the bundle, graph optimisation 'all', no dropout noise,
// on the same fixed input: onnxruntime-node with the CPU provider and intraOpNumThreads N; the page on
// WebAssembly (SIMD) with N threads (?threads=N) in ONNX Runtime's proxy worker, timed from session.run to
// the output read (the page's last_ms). The runtimes take turns, one run each, so that other load on the
// machine falls on all of them alike, with a pause after each run: the page redraws after a result (in
// software, headless), which would slow the next run down. V8 runs the page's WebAssembly unoptimised until
// it has tiered it up, over its first few runs: the first --warmup rounds are left out of the medians and
// printed apart.
// usage: node scripts/bench-page.mjs [--bundle DIR] [--runs N] [--warmup N] [--threads 1,2] [--backends wasm,webgpu]
//                                    [--gpu-runs N]
//   --bundle: a model bundle (default build/web/models/edges2emoji); the page is build/web.
// Headless Chromium's WebGPU is SwiftShader (a CPU emulation) unless the machine gives it a GPU; it is timed
// after the WebAssembly rounds, against onnxruntime-node with the most threads.
import { readFileSync } from 'node:fs';
import path from 'node:path';

import {
  ROOT, launch, makeSite, median, onnxOfBundle, openPage, ort, removeDir, settled, waitFor,
} from '../tests/browser/harness.mjs';

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}
const bundle = path.resolve(option('bundle', path.join(ROOT, 'build', 'web', 'models', 'edges2emoji')));
const runs = Number(option('runs', 10)), warmup = Number(option('warmup', 5)), gpuRuns = Number(option('gpu-runs', 3));
const threads = option('threads', '1,2').split(',').map(Number);
const backends = option('backends', 'wasm,webgpu').split(',');
const manifest = JSON.parse(readFileSync(path.join(bundle, 'model.json'), 'utf8'));
const { height: h, width: w, channels: c } = manifest.input;

// A runtime: run() does one timed run and returns its ms.
async function nodeRuntime(onnx, n) {
  const session = await ort.InferenceSession.create(onnx, { intraOpNumThreads: n, graphOptimizationLevel: 'all' });
  const input = new ort.Tensor('float32', new Float32Array(c * h * w).map((_, i) => Math.sin(i)), [1, c, h, w]);
  return {
    label: `onnxruntime-node, ${n} thread${n > 1 ? 's' : ''}`,
    async run() {
      const t0 = performance.now();
      await session.run({ [session.inputNames[0]]: input });
      return performance.now() - t0;
    },
    close: () => session.release(),
  };
}

async function pageRuntime(browser, url, query) {
  const page = await openPage(browser, `${url}?model=bench&${query}`);
  let s = await settled(page, 900000);  // its first run happens on load
  if (s.error) throw new Error(`${query}: ${s.error}`);
  return {
    label: `page: ${s.backend}`,
    first: s.last_ms,
    async run() {
      await page.evaluate(() => window.studio.rerun());
      s = await waitFor(page, (r) => window.studio.state().runs > r, s.runs, 900000);
      return s.last_ms;
    },
    close: () => page.context().close(),
  };
}

const site = makeSite([{ id: 'bench', name: 'bench', dir: bundle, default: true }]);
const { serve } = await import(path.join(ROOT, 'scripts', 'serve.mjs'));
const server = await serve(site, 0);
const url = `http://127.0.0.1:${server.address().port}/`;
const browser = await launch();
const fmt = (v, n = 9) => v.toFixed(1).padStart(n);
try {
  const onnx = onnxOfBundle(bundle);
  const pairs = [];
  for (const n of threads)
    pairs.push({ node: await nodeRuntime(onnx, n), page: backends.includes('wasm') ? await pageRuntime(browser, url, `backend=wasm&threads=${n}`) : null });
  const all = pairs.flatMap((p) => (p.page ? [p.node, p.page] : [p.node]));
  for (const r of all) r.times = [];
  for (let i = 0; i < warmup + runs; i++)
    for (const r of all) {
      r.times.push(await r.run());
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
  const stats = (r) => { const t = r.times.slice(warmup); return { ms: median(t), min: Math.min(...t) }; };

  console.log(`bundle ${bundle} (${w}x${h}); median (and minimum) of ${runs} runs after ${warmup} warm-up rounds, runtimes taking turns`);
  console.log(`${'runtime'.padEnd(34)} ${'ms/image'.padStart(9)} ${'min'.padStart(7)}  ratio to onnxruntime-node, same threads   (warm-up runs, ms)`);
  for (const { node, page } of pairs) {
    const b = stats(node);
    console.log(`${node.label.padEnd(34)} ${fmt(b.ms)} ${fmt(b.min, 7)}  1.00`);
    if (!page) continue;
    const p = stats(page);
    const warm = [page.first, ...page.times.slice(0, warmup)].map((t) => t.toFixed(0)).join(' ');
    console.log(`${page.label.padEnd(34)} ${fmt(p.ms)} ${fmt(p.min, 7)}  ${(p.ms / b.ms).toFixed(2)} (min ${(p.min / b.min).toFixed(2)})   (${warm})`);
  }
  if (backends.includes('webgpu')) {
    const gpu = await pageRuntime(browser, url, 'backend=webgpu');
    const t = [];
    for (let i = 0; i < gpuRuns; i++) t.push(await gpu.run());
    const base = stats(pairs[pairs.length - 1].node).ms;
    console.log(`${gpu.label.padEnd(34)} ${fmt(median(t))} ${fmt(Math.min(...t), 7)}  ${(median(t) / base).toFixed(2)} (to ${pairs[pairs.length - 1].node.label})`);
    await gpu.close();
  }
  for (const r of all) await r.close();
} finally {
  await browser.close();
  server.close();
  removeDir(site);
}
