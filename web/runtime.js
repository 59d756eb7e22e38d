// ONNX Runtime Web for the page: picks the backend (WebGPU when the browser has an adapter, else
// WebAssembly with SIMD and threads; ?backend=webgpu|wasm forces one, ?threads=N the WebAssembly thread
// count), and creates, runs and releases sessions one operation at a time.

const params = new URLSearchParams(location.search);
const forced = params.get('backend');
const askedThreads = Math.floor(Number(params.get('threads'))) || 0;
let ort = null;
let backend = 'wasm';  // what sessions are created for
let threads = 1;
const sessions = new Map();  // token -> { session (InferenceSession), ort (the module that made it) }

const errorText = (e) => String(e && e.message ? e.message : e).split('\n')[0];

let note = '';  // one line for the page when WebGPU was there but failed

// A browser without WebGPU just uses WebAssembly; one whose WebGPU gives no adapter is told so.
async function chooseBackend() {
  if (forced === 'wasm' || forced === 'webgpu') return forced;
  if (!navigator.gpu) return 'wasm';
  try {
    if (await navigator.gpu.requestAdapter()) return 'webgpu';
    note = 'WebGPU is not available here (no adapter): running on WebAssembly';
  } catch (e) {
    note = `WebGPU is not available here (${errorText(e)}): running on WebAssembly`;
  }
  return 'wasm';
}

async function importOrt() {
  // The WebGPU build's wasm also runs the CPU provider; the CPU-only build is half its size.
  ort = await import(backend === 'webgpu' ? './ort/ort.webgpu.min.mjs' : './ort/ort.wasm.min.mjs');
  // Threads need cross-origin isolation (SharedArrayBuffer).
  threads = !crossOriginIsolated ? 1 : askedThreads > 0 ? Math.min(askedThreads, 16) : Math.min(4, navigator.hardwareConcurrency || 1);
  ort.env.wasm.numThreads = threads;
  // The CPU provider computes on the main thread unless proxied to a worker: keep drawing smooth.
  ort.env.wasm.proxy = backend === 'wasm';
}

// ONNX Runtime compiles its WebAssembly and starts its worker and threads at the first session. A model it
// rejects (one byte) makes it do that now, while the app starts and the bundle downloads: the backend is
// set up before the model is read. Not on WebGPU, whose failed start breaks its module (createSession).
async function warmUp() {
  if (backend !== 'wasm') return;
  await ort.InferenceSession.create(new Uint8Array(1), { executionProviders: ['wasm'] }).then(
    (s) => s.release(), () => {});
}

// Started at once; sessions wait for it. Call after the page is cross-origin isolated (or will not be).
export async function loadOrt() {
  performance.mark('p2p:ort-start');
  backend = await chooseBackend();
  await importOrt();
  performance.mark('p2p:ort-import');
  await warmUp();
  performance.mark('p2p:ort');
}
let ortReady = null;
export function startOrt() {
  ortReady ??= loadOrt();
  return ortReady;
}

export const backendName = () => backend;
export const threadCount = () => threads;
export const backendNote = () => note;
export function backendLabel() {
  return backend === 'webgpu' ? 'webgpu' : `wasm (${threads} thread${threads > 1 ? 's' : ''})`;
}

// One operation at a time: a session is never run twice at once nor released while it runs.
let chain = Promise.resolve();
export function serial(fn) {
  const p = chain.then(fn);
  chain = p.catch(() => {});
  return p;
}

export async function createSession(token, bytes) {
  await startOrt();
  // Dropout noise survives every level: ONNX Runtime removes a Dropout whose mask nobody reads, and the
  // ONNX writer has a Where read each mask.
  const graphOptimizationLevel = 'all';
  let session;
  try {
    session = await ort.InferenceSession.create(bytes, { executionProviders: [backend], graphOptimizationLevel });
  } catch (e) {
    if (backend !== 'webgpu' || forced === 'webgpu') throw e;
    // ONNX Runtime's WebGPU build is left in a broken state by a failed WebGPU start: from here on the
    // page uses the CPU-only build, a module of its own (sessions made before keep theirs).
    const why = typeof e === 'object' && e && e.message ? errorText(e) : 'WebGPU did not start';
    console.warn('WebGPU session failed, using WebAssembly:', why);
    note = `WebGPU could not run the model (${why}): running on WebAssembly`;
    backend = 'wasm';
    await importOrt();
    session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel });
  }
  sessions.set(token, { session, ort });
}

const read = async (t) => (t.location === 'cpu' ? t.data : await t.getData());

// The first output as { data (Float32Array), dims, ms, extra }; ms covers the run and reading the result.
// extra (style nets' instance-norm statistics): given, { data, channels } feeds the session's further inputs
// in order, each [1, C, 1, 1] with C from channels; returned, the further outputs concatenated in order.
export async function runSession(token, input, c, h, w, extra = null) {
  const entry = sessions.get(token);
  if (!entry) throw new Error('the model was unloaded');
  const { session, ort } = entry;  // tensors of the module that made the session
  const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', input, [1, c, h, w]) };
  const further = session.inputNames.slice(1);
  if (further.length !== (extra ? extra.channels.length : 0))
    throw new Error(`the model takes ${further.length} statistics tensors, ${extra ? extra.channels.length : 0} given`);
  let at = 0;
  further.forEach((name, k) => {
    const n = extra.channels[k];
    feeds[name] = new ort.Tensor('float32', extra.data.slice(at, at + n), [1, n, 1, 1]);
    at += n;
  });
  const t0 = performance.now();
  const out = await session.run(feeds);
  const tensor = out[session.outputNames[0]];
  const data = await read(tensor);
  const rest = [];
  for (const name of session.outputNames.slice(1)) rest.push(await read(out[name]));
  const ms = performance.now() - t0;
  const dims = tensor.dims;
  let extraOut = null;
  if (rest.length) {
    extraOut = new Float32Array(rest.reduce((n, r) => n + r.length, 0));
    let k = 0;
    for (const r of rest) extraOut.set(r, k), (k += r.length);
  }
  for (const t of Object.values(out)) t.dispose?.();
  return { data, dims, ms, extra: extraOut };
}

export async function releaseSession(token) {
  const s = sessions.get(token);
  sessions.delete(token);
  await s?.session.release().catch(() => {});
}
