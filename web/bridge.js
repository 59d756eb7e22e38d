// The page's JavaScript: makes the page cross-origin isolated (sw.js), starts the app (studio.js),
// answers its calls (wasm/js_bridge.cpp) with runtime.js and fetching.js, feeds it pointer events and
// the canvas size, and exposes window.studio for tests. URL parameters: ?backend=webgpu|wasm forces
// a backend, ?threads=N the WebAssembly thread count; ?model=ID picks a sketch model, ?style=ID a style;
// ?tile=N sets the style panel's tile side (tests, benchmarks); ?sw=0 skips the service worker.
// Performance marks p2p:* time the start-up's steps (scripts/bench-web prints them).
import { fetchWeights, networkFirst } from './fetching.js';
import { backendLabel, backendName, backendNote, createSession, releaseSession, runSession, serial, startOrt, threadCount } from './runtime.js';

const params = new URLSearchParams(location.search);
const canvas = document.getElementById('canvas');
const bootMessage = document.getElementById('boot');

let mod = null;  // the Emscripten module, once main() has started
let lastMs = 0;
let inFlight = 0, maxInFlight = 0;  // runs the app asked for and that have not answered yet

function fail(message) {
  bootMessage.textContent = message;
  bootMessage.className = 'error';
  console.error(message);
}

function errorText(e) {
  return String(e && e.message ? e.message : e).split('\n')[0];
}

// ---- passing data into the wasm heap: allocated here, freed once the call returns

function withBytes(bytes, fn) {
  const p = mod._malloc(Math.max(1, bytes.length));
  mod.HEAPU8.set(bytes, p);
  try { return fn(p, bytes.length); } finally { mod._free(p); }
}
const encoder = new TextEncoder();
function withString(s, fn) {
  return withBytes(encoder.encode(String(s) + '\0'), (p) => fn(p));
}

// ---- cross-origin isolation (WebAssembly threads) on hosts that cannot send COOP/COEP headers

async function isolate() {
  if (!('serviceWorker' in navigator) || !window.isSecureContext || params.get('sw') === '0') return;
  try {
    await navigator.serviceWorker.register('sw.js');
  } catch (e) {
    console.warn('service worker not registered:', errorText(e));
    return;
  }
  if (crossOriginIsolated || navigator.serviceWorker.controller) return;
  // First visit: once sw.js controls the page, reload once so that the page comes with its headers.
  if (sessionStorage.getItem('p2p-isolation-reload')) return;
  await new Promise((resolve) => {
    navigator.serviceWorker.addEventListener('controllerchange', resolve, { once: true });
    setTimeout(resolve, 4000);
  });
  if (navigator.serviceWorker.controller) {
    sessionStorage.setItem('p2p-isolation-reload', '1');
    location.reload();
    await new Promise(() => {});
  }
}

// ---- the bridge the app calls (wasm/js_bridge.cpp)

const bridge = {
  attach(m) {
    mod = m;
    bootMessage.className = 'hidden';
  },

  fatal(why) {
    fail(why);
  },

  async fetchIndex() {
    try {
      const text = await networkFirst('models/index.json');
      withBytes(encoder.encode(text), (p, n) => mod._studio_index_loaded(p, n));
    } catch (e) {
      withString(errorText(e), (p) => mod._studio_index_failed(p));
    }
  },

  // examples/index.json and its PNGs, handed to the app in the listed order; a site without examples
  // starts on a blank page, an example that does not load is left out.
  async fetchExamples() {
    let list;
    try {
      list = JSON.parse(await networkFirst('examples/index.json')).examples;
      if (!Array.isArray(list)) throw new Error('no "examples" list');
    } catch (e) {
      console.info('no examples:', errorText(e));
      return;
    }
    const images = await Promise.all(list.map(async (e) => {
      try {
        if (typeof e.file !== 'string' || !/^[\w][\w.-]*$/.test(e.file)) throw new Error(`'${e.file}' is not a plain file name`);
        const r = await fetch(`examples/${e.file}`);
        if (!r.ok) throw new Error(`HTTP ${r.status}`);
        return new Uint8Array(await r.arrayBuffer());
      } catch (err) {
        console.warn(`example ${e.file}:`, errorText(err));
        return null;
      }
    }));
    list.forEach((e, i) => {
      if (!images[i]) return;
      withString(e.name ?? e.file, (n) => withString(e.attribution ?? '', (a) =>
        withBytes(images[i], (p, len) => mod._studio_example_loaded(n, a, p, len))));
    });
  },

  async fetchBundle(token, dir) {
    try {
      const json = await networkFirst(dir + 'model.json');
      const jsonBytes = encoder.encode(json);
      // model.json is checked first (the app's own reader), and the weights may not be bigger than it needs.
      const { limit, error } = JSON.parse(withBytes(jsonBytes, (p, n) => mod.UTF8ToString(mod._studio_weights_limit(p, n))));
      if (error) throw new Error(error);
      const manifest = JSON.parse(json);
      const file = manifest.weights?.file ?? 'weights.safetensors';
      if (typeof file !== 'string' || !/^[\w][\w.-]*$/.test(file)) throw new Error(`model.json: weights file '${file}' is not a plain file name`);
      const sha = typeof manifest.weights?.sha256 === 'string' ? manifest.weights.sha256 : '';
      const weights = await fetchWeights(dir + file, sha, limit, (l, t) => mod._studio_bundle_progress(token, l, t));
      performance.mark('p2p:weights');
      withBytes(jsonBytes, (jp, jn) => withBytes(weights, (wp, wn) => mod._studio_bundle_loaded(token, jp, jn, wp, wn)));
    } catch (e) {
      withString(errorText(e), (p) => mod._studio_bundle_failed(token, p));
    }
  },

  createSession(token, bytes) {
    performance.mark('p2p:onnx');
    serial(async () => {
      try {
        await createSession(token, bytes);
        performance.mark('p2p:session');
        withString(backendNote(), (m) => withString(backendLabel(), (b) => mod._studio_session_ready(token, 1, m, b)));
      } catch (e) {
        withString(errorText(e), (m) => withString('', (b) => mod._studio_session_ready(token, 0, m, b)));
      }
    });
  },

  releaseSession(token) {
    serial(() => releaseSession(token));
  },

  run(token, runId, input, c, h, w) {
    maxInFlight = Math.max(maxInFlight, ++inFlight);
    serial(async () => {
      try {
        const { data, dims, ms } = await runSession(token, input, c, h, w);
        lastMs = ms;
        const [, oc, oh, ow] = dims;
        withBytes(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), (p) => mod._studio_run_done(runId, p, oc, oh, ow, ms));
      } catch (e) {
        withString(errorText(e), (p) => mod._studio_run_failed(runId, p));
      }
      inFlight--;
    });
  },

  // A style net's run: stats (Float32Array, concatenated) and channels (Int32Array, one per statistics
  // tensor) feed an Import session; an Export session's statistics come back the same way.
  runStyle(token, runId, input, c, h, w, stats, channels) {
    serial(async () => {
      try {
        const extra = channels.length ? { data: stats, channels } : null;
        const { data, dims, ms, extra: out } = await runSession(token, input, c, h, w, extra);
        const [, oc, oh, ow] = dims;
        const outStats = out || new Float32Array(0);
        withBytes(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), (p) =>
          withBytes(new Uint8Array(outStats.buffer, outStats.byteOffset, outStats.byteLength), (sp) =>
            mod._studio_style_run_done(runId, p, oc, oh, ow, sp, outStats.length, ms)));
      } catch (e) {
        withString(errorText(e), (p) => mod._studio_style_run_failed(runId, p));
      }
    });
  },

  pickFile(purpose) {
    document.getElementById(purpose === 1 ? 'style-file' : 'file').click();
  },

  download(bytes, name, mime) {
    const url = URL.createObjectURL(new Blob([bytes], { type: mime }));
    const a = document.createElement('a');
    a.href = url;
    a.download = name;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  },
};

// ---- page events: files, pointer, size

// purpose 0: the drawing's input (tools panel), 1: the photo to stylise (style panel).
async function sendFile(file, purpose = 0) {
  if (!file || !mod) return;
  const bytes = new Uint8Array(await file.arrayBuffer());
  withBytes(bytes, (p, n) => mod._studio_file_loaded(p, n, purpose));
}

function wireEvents() {
  const input = document.getElementById('file');
  input.addEventListener('change', () => { sendFile(input.files[0]); input.value = ''; });
  const styleInput = document.getElementById('style-file');
  styleInput.addEventListener('change', () => { sendFile(styleInput.files[0], 1); styleInput.value = ''; });
  // A file dropped anywhere on the page becomes the input, as Open image does; the page is outlined meanwhile.
  let dragDepth = 0;
  const dragging = (on) => document.body.classList.toggle('dragging', on);
  window.addEventListener('dragenter', (e) => { e.preventDefault(); dragDepth++; dragging(true); });
  window.addEventListener('dragleave', () => { if (--dragDepth <= 0) dragDepth = 0, dragging(false); });
  window.addEventListener('dragover', (e) => e.preventDefault());
  window.addEventListener('drop', (e) => {
    e.preventDefault();
    dragDepth = 0;
    dragging(false);
    sendFile(e.dataTransfer?.files[0]);
  });

  // Strokes come from pointer events (mouse, pen and touch alike, with pressure and the coalesced
  // points between frames); GLFW's own touch handling is kept out, taps still click the UI.
  for (const t of ['touchstart', 'touchmove', 'touchend', 'touchcancel'])
    window.addEventListener(t, (e) => { if (e.target === canvas) e.stopPropagation(); }, { capture: true });
  let active = null;
  const send = (kind, e) => {
    const r = canvas.getBoundingClientRect();
    const s = canvas.width / r.width;
    mod?._studio_pointer(kind, (e.clientX - r.left) * s, (e.clientY - r.top) * s, e.pressure);
  };
  canvas.addEventListener('pointerdown', (e) => {
    if (active !== null || (e.pointerType === 'mouse' && e.button !== 0)) return;
    active = e.pointerId;
    try { canvas.setPointerCapture(e.pointerId); } catch (err) { /* a synthetic event has no pointer to capture */ }
    send(0, e);
  });
  canvas.addEventListener('pointermove', (e) => {
    if (e.pointerId !== active) return;
    const points = e.getCoalescedEvents ? e.getCoalescedEvents() : [];
    for (const p of points.length ? points : [e]) send(1, p);
  });
  const end = (kind) => (e) => {
    if (e.pointerId !== active) return;
    active = null;
    send(kind, e);
  };
  canvas.addEventListener('pointerup', end(2));
  canvas.addEventListener('pointercancel', end(3));

  const resize = () => {
    const dpr = window.devicePixelRatio || 1;
    const r = canvas.getBoundingClientRect();
    const w = Math.max(1, Math.round(r.width * dpr)), h = Math.max(1, Math.round(r.height * dpr));
    if (canvas.width !== w) canvas.width = w;
    if (canvas.height !== h) canvas.height = h;
    mod?._studio_resize(w, h, dpr);
  };
  new ResizeObserver(resize).observe(canvas);
  window.addEventListener('resize', resize);
  resize();
}

// ---- test hook: state, pixels and the ONNX bytes in use

function base64(bytes) {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

window.studio = {
  get backend() { return backendName(); },
  get lastMs() { return lastMs; },
  get threads() { return threadCount(); },
  started: false,
  state() {
    const s = JSON.parse(mod.UTF8ToString(mod._studio_state_json()));
    // Control rectangles in page (CSS) pixels, for real mouse clicks.
    const r = canvas.getBoundingClientRect(), k = r.width / canvas.width;
    for (const [name, [x, y, w, h]] of Object.entries(s.rects)) s.rects[name] = { x: r.left + x * k, y: r.top + y * k, w: w * k, h: h * k };
    return { ...s, threads: threadCount(), isolated: crossOriginIsolated, maxInFlight };
  },
  inputPixels() {
    const s = this.state();
    const p = mod._studio_input_pixels();
    return base64(mod.HEAPU8.slice(p, p + s.width * s.height * 3));
  },
  outputPixels() {
    const s = this.state();
    const p = mod._studio_output_pixels();
    return p ? base64(mod.HEAPU8.slice(p, p + s.width * s.height * 3)) : null;
  },
  rerun() { mod._studio_request_run(); },
  // The style panel's images, RGB: 'source' (what is stylised), 'styled' (the network's output) and
  // 'shown' (the two blended by the strength, what Save PNG writes); with their size.
  stylePixels(which) {
    const sp = mod._malloc(8);
    const p = mod._studio_style_pixels(['source', 'styled', 'shown'].indexOf(which), sp, sp + 4);
    const w = mod.HEAP32[sp >> 2], h = mod.HEAP32[(sp >> 2) + 1];
    mod._free(sp);
    return p ? { width: w, height: h, data: base64(mod.HEAPU8.slice(p, p + w * h * 3)) } : null;
  },
  // The instance-norm statistics of the last stylised image's thumbnail (float32, base64).
  styleStats() {
    const sp = mod._malloc(4);
    const p = mod._studio_style_stats(sp);
    const n = mod.HEAP32[sp >> 2];
    mod._free(sp);
    return base64(mod.HEAPU8.slice(p, p + 4 * n));
  },
  restyle() { mod._studio_style_rerun(); },
  onnxBytes() {
    const sp = mod._malloc(4);
    const p = mod._studio_onnx_bytes(sp);
    const n = mod.HEAP32[sp >> 2];
    mod._free(sp);
    if (!p) return null;
    const b = base64(mod.HEAPU8.slice(p, p + n));
    mod._free(p);
    return b;
  },
};

// ---- start

async function start() {
  await isolate();
  // Loads while the app starts; its thread count depends on the isolation settled above.
  startOrt().catch((e) => fail(`ONNX Runtime Web did not load: ${errorText(e)}`));
  wireEvents();
  await new Promise((resolve, reject) => {
    const s = document.createElement('script');
    s.src = 'studio.js';
    s.onload = resolve;
    s.onerror = () => reject(new Error('studio.js did not load'));
    document.head.appendChild(s);
  });
  await createStudio({ canvas, bridge, print: (t) => console.log(t), printErr: (t) => console.warn(t) });
  window.studio.started = true;
  window.dispatchEvent(new Event('resize'));
}

start().catch((e) => fail(`Pix2Pix Studio could not start: ${errorText(e)}`));
