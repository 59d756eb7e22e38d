// Fetching for the page: models/index.json and model.json network first (the cache when offline),
// weights with download progress, cached under their digest so a second visit works offline.

const DATA_CACHE = 'p2p-data-v1';

// The Cache API exists only in secure contexts (https, localhost): elsewhere nothing is cached.
async function openCache() {
  if (typeof caches === 'undefined') return null;
  return caches.open(DATA_CACHE).catch(() => null);
}

export async function networkFirst(url) {
  const cache = await openCache();
  try {
    const r = await fetch(url, { cache: 'no-cache' });
    if (!r.ok) throw new Error(`${url}: HTTP ${r.status} ${r.statusText}`.trim());
    const text = await r.text();
    cache?.put(url, new Response(text, { headers: { 'Content-Type': r.headers.get('Content-Type') || 'application/json' } }));
    return text;
  } catch (e) {
    const hit = cache && (await cache.match(url));
    if (hit) return hit.text();
    throw e;
  }
}

// Reads at most `limit` bytes: a bigger file is refused before (Content-Length) or while it arrives.
async function readWithProgress(response, url, limit, onProgress) {
  const total = Number(response.headers.get('Content-Length')) || 0;
  const tooBig = () => new Error(`${url.split('/').pop()}: more than the ${limit} bytes its model.json allows`);
  if (total > limit) throw tooBig();
  if (!response.body) return new Uint8Array(await response.arrayBuffer());
  const reader = response.body.getReader();
  const chunks = [];
  let loaded = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    loaded += value.length;
    if (loaded > limit) {
      reader.cancel().catch(() => {});
      throw tooBig();
    }
    chunks.push(value);
    onProgress(loaded, Math.max(total, loaded));
  }
  if (total && loaded !== total) throw new Error(`${url}: download ended at ${loaded} of ${total} bytes`);
  const bytes = new Uint8Array(loaded);
  let at = 0;
  for (const c of chunks) bytes.set(c, at), (at += c.length);
  return bytes;
}

async function sha256Hex(bytes) {
  if (!globalThis.crypto || !crypto.subtle) return '';
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return Array.from(d, (b) => b.toString(16).padStart(2, '0')).join('');
}

// Weights are cached under their digest, so a re-exported model is fetched again; only bytes that
// match the digest model.json names are kept.
export async function fetchWeights(url, sha256, limit, onProgress) {
  const cache = await openCache();
  const key = `${url}?sha256=${sha256}`;
  const hit = sha256 && cache && (await cache.match(key));
  if (hit) return readWithProgress(hit, url, limit, onProgress);
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url.split('/').pop()}: HTTP ${r.status} ${r.statusText}`.trim());
  const bytes = await readWithProgress(r, url, limit, onProgress);
  if (cache && sha256 && (await sha256Hex(bytes)) === sha256.toLowerCase())
    await cache.put(key, new Response(bytes, { headers: { 'Content-Length': String(bytes.length) } })).catch(() => {});
  return bytes;
}

