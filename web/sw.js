// The service worker: keeps the app shell (page, app, ONNX Runtime Web) for offline visits, and adds
// COOP/COEP headers so the page is cross-origin isolated (WebAssembly threads) on any static host.
// Model bundles are cached by bridge.js itself (Cache API), so they pass through here untouched.

const SHELL_CACHE = 'p2p-shell-v1';

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

function isolated(response) {
  if (response.status === 0 || response.type === 'opaque') return response;
  const headers = new Headers(response.headers);
  headers.set('Cross-Origin-Opener-Policy', 'same-origin');
  headers.set('Cross-Origin-Embedder-Policy', 'require-corp');
  headers.set('Cross-Origin-Resource-Policy', 'same-origin');
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

// Network first (a rebuilt page is seen at once), the cache when offline. The cache is written only
// when the file changed, so the large ONNX Runtime files are not copied again on every visit.
async function shell(event) {
  const request = event.request;
  const cache = await caches.open(SHELL_CACHE);
  try {
    const response = await fetch(request);
    if (response.ok && request.method === 'GET') {
      const old = await cache.match(request);
      const tag = (r) => r && (r.headers.get('ETag') || r.headers.get('Last-Modified'));
      if (!old || !tag(response) || tag(old) !== tag(response)) event.waitUntil(cache.put(request, response.clone()));
    }
    return isolated(response);
  } catch (e) {
    const hit = await cache.match(request, { ignoreSearch: request.mode === 'navigate' });
    if (hit) return isolated(hit);
    throw e;
  }
}

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (url.origin !== self.location.origin || event.request.method !== 'GET') return;
  if (url.pathname.includes('/models/')) return;
  event.respondWith(shell(event));
});
