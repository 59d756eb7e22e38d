// A small static file server for the built page: `node scripts/serve.mjs DIR PORT [--isolate] [--host ADDR]`.
// No dependencies. Sends no COOP/COEP headers unless --isolate (the page's service worker adds them).
// Listens on 127.0.0.1 unless --host (e.g. 0.0.0.0 to reach it from another machine).
import { createServer } from 'node:http';
import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';

const MIME = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.json': 'application/json; charset=utf-8', '.wasm': 'application/wasm',
  '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.svg': 'image/svg+xml', '.txt': 'text/plain; charset=utf-8',
  '.ico': 'image/x-icon', '.webmanifest': 'application/manifest+json', '.onnx': 'application/octet-stream',
  '.safetensors': 'application/octet-stream', '.map': 'application/json',
};

export function serve(root, port, { isolate = false, quiet = true, host = '127.0.0.1' } = {}) {
  root = path.resolve(root);
  const server = createServer(async (req, res) => {
    const url = new URL(req.url, 'http://x');
    try {
      let file = path.join(root, decodeURIComponent(url.pathname));
      if (file !== root && !file.startsWith(root + path.sep)) return res.writeHead(403).end('forbidden');
      let st = await fs.stat(file);
      if (st.isDirectory()) file = path.join(file, 'index.html'), (st = await fs.stat(file));
      const etag = `"${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}"`;
      const headers = {
        'Content-Type': MIME[path.extname(file).toLowerCase()] || 'application/octet-stream',
        'Content-Length': st.size, 'Last-Modified': st.mtime.toUTCString(), ETag: etag, 'Cache-Control': 'no-cache',
      };
      if (isolate) Object.assign(headers, { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' });
      if (req.headers['if-none-match'] === etag) {
        delete headers['Content-Length'];
        return res.writeHead(304, headers).end();
      }
      res.writeHead(200, headers);
      if (req.method === 'HEAD') return res.end();
      createReadStream(file).pipe(res);
    } catch {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
    }
    if (!quiet) console.log(req.method, url.pathname);
  });
  return new Promise((resolve) => server.listen(port, host, () => resolve(server)));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const hostAt = args.indexOf('--host');
  const host = hostAt >= 0 ? args.splice(hostAt, 2)[1] : '127.0.0.1';
  const [dir = 'build/web', port = '8080'] = args.filter((a) => !a.startsWith('--'));
  const server = await serve(dir, Number(port), { isolate: args.includes('--isolate'), quiet: !args.includes('--log'), host });
  console.log(`serving ${path.resolve(dir)} on http://${host === "127.0.0.1" ? "localhost" : host}:${server.address().port}/`);
}
