// The page as built (build/web, its own models/index.json) offers every shipped style bundle (task "style",
// made by `pix2pix train-style` + `export`), each paints a photo in its own way (not the photo back, not
// another style's picture), and each model.json
// records the painting, the training photos and their licences, the random loss network, within 4 MB fp16.
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';

import { WEB_DIR, check, click, launch, openPage, run, screenshot, screenshotOnFailure, serveSite, state, test, waitFor } from './harness.mjs';
import { encodePng } from './png.mjs';

const styles = JSON.parse(readFileSync(path.join(WEB_DIR, 'models', 'index.json'), 'utf8')).models.filter((e) => e.task === 'style');
check(styles.length >= 4, `${WEB_DIR}/models/index.json lists ${styles.length} style bundles, expected at least 4`);
const { server, url } = await serveSite(WEB_DIR);
const browser = await launch();
const page = await openPage(browser, `${url}?backend=wasm`);
screenshotOnFailure(page);

// A photo stand-in: a sky gradient over green ground with a red house.
const W = 320, H = 240;
const photo = Buffer.alloc(W * H * 3);
for (let y = 0; y < H; y++)
  for (let x = 0; x < W; x++) {
    let rgb = y < 150 ? [110 + y / 3, 160 + y / 4, 235] : [60, 140 - (y - 150) / 3, 50];
    if (x > 120 && x < 200 && y > 100 && y < 170) rgb = [190, 40, 30];
    photo.set(rgb.map(Math.round), (y * W + x) * 3);
  }
const meanAbs = (a, b) => { let s = 0; for (let i = 0; i < a.length; i++) s += Math.abs(a[i] - b[i]); return s / a.length; };

test('every style bundle records where it came from, within 4 MB fp16', async () => {
  for (const e of styles) {
    const dir = path.join(WEB_DIR, 'models', e.path);
    const m = JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8'));
    const p = m.provenance;
    check(m.task === 'style' && m.model.arch === 'transformer' && m.weights.dtype === 'float16', `${e.id}: ${m.task} ${m.model.arch} ${m.weights.dtype}`);
    check(statSync(path.join(dir, m.weights.file)).size <= 4e6, `${e.id}: weights over 4 MB`);
    check(p.source === 'pix2pix train-style' && p.steps > 0 && p.train_seconds > 0 && p.hardware, `${e.id}: training record ${JSON.stringify(p).slice(0, 200)}`);
    check(p.painting?.title && p.painting?.artist && p.painting?.year && /public domain/.test(p.painting?.license), `${e.id}: painting ${JSON.stringify(p.painting)}`);
    check(/random VGG/.test(p.loss_network), `${e.id}: loss network '${p.loss_network}'`);
    check(p.training_photos?.count > 0 && /GPL/.test(p.training_photos?.license) && p.training_photos.photos.every((x) => x.file && x.author !== undefined), `${e.id}: training photos`);
    check(m.license && m.attribution.includes(p.painting.artist), `${e.id}: licence '${m.license}', attribution '${m.attribution}'`);
  }
});

test('each shipped style paints a photo, and each in its own way', async () => {
  const results = [];
  for (const e of styles) {
    await click(page, 'style');
    await waitFor(page, (id) => !!window.studio.state().rects[`style_item_${id}`], e.id, 10000);
    await click(page, `style_item_${e.id}`);
    await waitFor(page, (id) => { const x = window.studio.state().style; return (x.id === id && x.jobs > 0 && !x.busy && !x.pending) || !!x.error; }, e.id, 120000);
    const before = (await state(page)).style.jobs;
    await page.setInputFiles('#style-file', { name: 'photo.png', mimeType: 'image/png', buffer: encodePng(photo, W, H) });
    const st = (await waitFor(page, (n) => { const x = window.studio.state().style; return (x.source === 'photo' && x.jobs > n && !x.busy && !x.pending && x.shown_current) || !!x.error; }, before, 120000)).style;
    check(!st.error && st.width === W && st.height === H, `${e.id}: ${st.error || `${st.width}x${st.height}`}`);
    const r = await page.evaluate(() => window.studio.stylePixels('styled'));
    const out = Buffer.from(r.data, 'base64');
    const d = meanAbs(out, photo);
    console.log(`  ${e.id}: mean |styled - photo| ${d.toFixed(1)}, ${st.last_ms.toFixed(0)} ms`);
    check(d > 15, `${e.id}: the painting hardly differs from the photo (${d.toFixed(1)})`);
    for (const other of results) {
      const between = meanAbs(out, other.out);
      check(between > 8, `${e.id} and ${other.id} paint nearly the same picture (${between.toFixed(1)})`);
    }
    results.push({ id: e.id, out });
    await screenshot(page, `default-style-${e.id}`);
  }
});

await run(async () => { await browser.close(); server.close(); });
