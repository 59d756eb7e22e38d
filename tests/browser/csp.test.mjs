// The page's Content-Security-Policy (web/index.html): the page as built runs under it with nothing blocked
// (start, service worker, the example's output on WebAssembly and on WebGPU, a style, a saved PNG), and the
// policy is in force: an inline script is refused, and so is a fetch to another origin.
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { WEB_DIR, check, click, launch, run, screenshotOnFailure, serveSite, settled, test, waitFor } from './harness.mjs';

const styles = JSON.parse(readFileSync(path.join(WEB_DIR, 'models', 'index.json'), 'utf8')).models.filter((e) => e.task === 'style');
check(styles.length > 0, `${WEB_DIR}/models/index.json lists no style bundle`);
const { server, url } = await serveSite(WEB_DIR);
const other = await serveSite(WEB_DIR);  // another origin (another port)
const browser = await launch();

// A page whose every policy violation and refusal message is kept, from before its first script runs.
async function open(address) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 720 }, acceptDownloads: true });
  await context.addInitScript(() => {
    window.__violations = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  const page = await context.newPage();
  page.refusals = [];
  page.errors = [];
  page.on('console', (m) => { if (/Content Security Policy|Refused to/i.test(m.text())) page.refusals.push(m.text()); });
  page.on('pageerror', (e) => page.errors.push(e.message));
  screenshotOnFailure(page);
  await page.goto(address);
  await page.waitForFunction(() => window.studio && window.studio.started, null, { timeout: 60000 });
  return page;
}

async function nothingBlocked(page, what) {
  const violations = await page.evaluate(() => window.__violations);
  check(!violations.length && !page.refusals.length, `${what}: blocked by the policy: ${[...violations, ...page.refusals].join(' | ')}`);
  check(!page.errors.length, `${what}: page errors: ${page.errors.join(' | ')}`);
}

test('the page runs under its policy on WebAssembly: start, example output, a style, a saved PNG', async () => {
  const page = await open(`${url}?backend=wasm`);
  const s = await settled(page);
  check(s.model && !s.error && s.runs > 0, `no output: ${s.error}`);
  const id = styles[0].id;
  await click(page, 'style');
  await click(page, `style_item_${id}`);
  const st = (await waitFor(page, (i) => { const x = window.studio.state().style; return (x.id === i && x.jobs > 0 && !x.busy && !x.pending) || !!x.error; }, id, 120000)).style;
  check(!st.error, `style ${id}: ${st.error}`);
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: 20000 }), click(page, 'save')]);
  check(/\.png$/.test(download.suggestedFilename()), `saved '${download.suggestedFilename()}'`);
  await nothingBlocked(page, 'wasm');
  await page.context().close();
});

test('the page runs under its policy on WebGPU: start and example output', async () => {
  const page = await open(`${url}?backend=webgpu`);
  const s = await settled(page);
  check(s.model && !s.error && s.runs > 0, `no output: ${s.error}`);
  const used = await page.evaluate(() => window.studio.backend);
  check(used === 'webgpu', `asked for webgpu, ran on ${used}`);
  await nothingBlocked(page, 'webgpu');
  await page.context().close();
});

test('the policy is in force: an inline script and another origin are refused', async () => {
  const page = await open(`${url}?backend=wasm`);
  // Scripts run through DevTools bypass the policy, so the page is asked to add an inline script itself.
  const inlineRan = await page.evaluate(async () => {
    const script = document.createElement('script');
    script.textContent = 'window.__inline = true';
    document.body.appendChild(script);
    await new Promise((r) => setTimeout(r, 200));
    return window.__inline === true;
  });
  check(!inlineRan, 'an inline script ran');
  const fetched = await page.evaluate((u) => fetch(u).then((r) => `status ${r.status}`, (e) => e.name), `${other.url}models/index.json`);
  check(fetched === 'TypeError', `a fetch to ${other.url} gave '${fetched}'`);
  const violations = await page.evaluate(() => window.__violations);
  check(violations.some((v) => v.startsWith('script-src')) && violations.some((v) => v.startsWith('connect-src')),
        `expected script-src and connect-src violations, got: ${violations.join(' | ')}`);
  await page.context().close();
});

await run(async () => { await browser.close(); server.close(); other.server.close(); });
