// The style panel: style bundles (index.json task "style") stay out of the sketch model picker; a 600x400
// photo is stylised in tiles (thumbnail instance-norm statistics, cores inside margins of the receptive
// field) with progress, no seams, and the output onnxruntime-node computes for the whole image with the
// same statistics; strength blends back to the photo; size; Save PNG; the sketch output is stylised live;
// a style bundle with a wrong range shows a message and the previous style keeps working; one listed
// without its task is refused by the sketch model picker.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

import {
  TOOL, check, click, drawn, launch, makeBundle, makeSite, openPage, ort, outputPixels, removeDir, run, screenshot,
  screenshotOnFailure, selectModel, serveSite, settled, state, stroke, tempDir, test, waitFor,
} from './harness.mjs';
import { decodePng, encodePng } from './png.mjs';

const TILE = 256;  // ?tile=: so that a 600x400 photo takes several tiles
const work = tempDir('p2p-style-');
const dir = (id) => path.join(work, id);
makeBundle(dir('sketch'), { net: 'unet_256', ngf: 8, size: 256, seed: 21, name: 'Sketch', gain: 0.2 });
makeBundle(dir('style'), { net: 'transformer', ngf: 8, size: 256, seed: 22, name: 'Style A', gain: 1.5 });
const tool = (...args) => execFileSync('node', ['--no-experimental-fetch', TOOL, ...args.map(String)], { encoding: 'utf8' });
// A style bundle whose model.json says its input is in [-1, 1]: not what a style net takes.
const styleJson = readFileSync(path.join(dir('style'), 'model.json'), 'utf8');
const badJson = styleJson.replace(/("input": \{[^}]*"range": \[)\s*0,\s*255\s*\]/, '$1 -1, 1 ]');
check(badJson !== styleJson, 'the test could not rewrite the input range');
const site = makeSite([
  { id: 'sketch', name: 'Sketch model', dir: dir('sketch'), default: true },
  { id: 'style', name: 'Style A', dir: dir('style'), task: 'style' },
  { id: 'untagged', name: 'Style without a task in index.json', dir: dir('style') },
  { id: 'bad-range', name: 'Bad range', task: 'style', files: { 'model.json': badJson, 'weights.safetensors': readFileSync(path.join(dir('style'), 'weights.safetensors')) } },
]);
const { server, url } = await serveSite(site);
const browser = await launch();
const page = await openPage(browser, `${url}?backend=wasm&tile=${TILE}`);
screenshotOnFailure(page);

const W = 600, H = 400;
// A smooth gradient plus shapes (a disc, a bar, a checker patch).
const photo = Buffer.alloc(W * H * 3);
for (let y = 0; y < H; y++)
  for (let x = 0; x < W; x++) {
    let rgb = [(255 * x) / W, (255 * y) / H, 128 + 90 * Math.sin(x * 0.03 + y * 0.02)];
    if ((x - 380) ** 2 + (y - 150) ** 2 < 70 ** 2) rgb = [230, 200, 40];
    if (Math.abs(x - 150) < 25 && y > 60 && y < 340) rgb = [20, 40, 160];
    if (x > 420 && x < 540 && y > 260 && y < 360) rgb = ((x >> 4) + (y >> 4)) & 1 ? [250, 250, 250] : [10, 10, 10];
    photo.set(rgb.map(Math.round), (y * W + x) * 3);
  }

const styleState = async () => (await state(page)).style;
async function stylePixels(which) {
  const r = await page.evaluate((w) => window.studio.stylePixels(w), which);
  return r && { width: r.width, height: r.height, data: Buffer.from(r.data, 'base64') };
}
// Waits until the style panel has finished an image after `jobs` were done.
async function styled(jobs, timeout = 300000) {
  await waitFor(page, (n) => { const st = window.studio.state().style; return (st.jobs > n && !st.busy && !st.pending && st.shown_current) || !!st.error; }, jobs, timeout);
  const st = await styleState();
  check(!st.error, `style error: ${st.error}`);
  return st;
}
function meanAbs(a, b) {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i] - b[i]);
  return s / a.length;
}
async function sliderTo(control, fraction) {
  const r = (await state(page)).rects[control];
  check(r, `no control ${control}`);
  await page.mouse.click(r.x + 1 + (r.w - 2) * fraction, r.y + r.h / 2);
}

let plan = null, first = null;

test('style bundles are offered in the style panel only', async () => {
  const s = await settled(page);
  check(s.model === 'sketch' && !s.error, `sketch model '${s.model}', error '${s.error}'`);
  check(s.style.id === '', `a style is in use before one was picked: ${s.style.id}`);
  await click(page, 'model');
  let rects = (await waitFor(page, () => !!window.studio.state().rects.model_item_sketch, null, 10000)).rects;
  check(rects.model_item_sketch && !rects.model_item_style && !rects['model_item_bad-range'], `model picker offers ${Object.keys(rects).filter((k) => k.startsWith('model_item_'))}`);
  await page.mouse.click(640, 600);  // outside the list: it closes
  await waitFor(page, () => !window.studio.state().rects.model_item_sketch, null, 10000);  // the list closed
  await click(page, 'style');
  rects = (await waitFor(page, () => !!window.studio.state().rects.style_item_style, null, 10000)).rects;
  check(rects.style_item_style && rects['style_item_bad-range'] && !rects.style_item_sketch, `style picker offers ${Object.keys(rects).filter((k) => k.startsWith('style_item_'))}`);
  await click(page, 'style_item_style');
  const st = await waitFor(page, () => { const x = window.studio.state().style; return x.id === 'style' || !!x.error; }, null, 120000);
  check(st.style.id === 'style' && !st.style.error, `style '${st.style.id}', error '${st.style.error}'`);
  const field = JSON.parse(tool('tiles', dir('style'), W, H, TILE));
  check(st.style.receptive_field === field.before + field.after + 1 && st.style.margin === field.margin, `receptive field ${st.style.receptive_field}, margin ${st.style.margin}`);
});

test('a 600x400 photo is stylised in tiles with progress, and differs from the photo', async () => {
  // The sketch output is painted first, as soon as the style is ready: let that finish.
  let st = (await waitFor(page, () => { const x = window.studio.state().style; return x.jobs > 0 && !x.busy && !x.pending; }, null, 120000)).style;
  await page.setInputFiles('#style-file', { name: 'photo.png', mimeType: 'image/png', buffer: encodePng(photo, W, H) });
  // Progress while the tiles run.
  const seen = new Set();
  const t0 = Date.now();
  for (;;) {
    const x = await styleState();
    if (x.busy && x.tiles_total > 1) seen.add(x.tiles_done);
    if (x.source === 'photo' && x.jobs > st.jobs && !x.busy && !x.pending) break;
    check(!x.error && Date.now() - t0 < 120000, `stylising failed or hung: ${x.error} (${JSON.stringify(x)})`);
    await page.waitForTimeout(30);
  }
  st = await styled(st.jobs);
  first = await stylePixels('styled');
  plan = JSON.parse(tool('tiles', dir('style'), W, H, TILE));
  check(st.source === 'photo' && st.width === W && st.height === H, `result ${st.width}x${st.height} from ${st.source}`);
  check(st.last_tiles === plan.tiles.length && plan.tiles.length >= 6, `${st.last_tiles} tiles, the plan has ${plan.tiles.length}`);
  check(seen.size >= 3 && [...seen].some((d) => d > 0), `progress seen at tiles ${[...seen]}`);
  const source = await stylePixels('source'), out = first;
  check(source.data.equals(photo), 'the source is not the photo as opened');
  const d = meanAbs(out.data, photo);
  console.log(`  ${plan.tiles.length} tiles of <= ${TILE} px, margin ${plan.margin}; ${st.last_ms.toFixed(0)} ms; mean |styled - photo| ${d.toFixed(1)}`);
  check(d > 20, `the stylised image hardly differs from the photo (${d})`);
  await screenshot(page, 'style-photo');
});

test('no seams: gradients across tile borders are like those inside, and the tiles equal the whole image run', async () => {
  const out = first.data;
  const grad = (x0, y0, x1, y1) => {
    let s = 0;
    for (let c = 0; c < 3; c++) s += Math.abs(out[(y0 * W + x0) * 3 + c] - out[(y1 * W + x1) * 3 + c]);
    return s / 3;
  };
  const xs = new Set(plan.tiles.map((t) => t.core[0]).filter((x) => x > 0));
  const ys = new Set(plan.tiles.map((t) => t.core[1]).filter((y) => y > 0));
  let across = 0, nAcross = 0, inside = 0, nInside = 0;
  for (let y = 1; y < H; y++)
    for (let x = 1; x < W; x++) {
      const gx = grad(x, y, x - 1, y), gy = grad(x, y, x, y - 1);
      if (xs.has(x)) across += gx, nAcross++;
      else inside += gx, nInside++;
      if (ys.has(y)) across += gy, nAcross++;
      else inside += gy, nInside++;
    }
  across /= nAcross, inside /= nInside;
  console.log(`  mean |gradient| across tile borders ${across.toFixed(2)}, inside tiles ${inside.toFixed(2)}`);
  check(across <= 1.5 * inside, `seams: ${across} across borders against ${inside} inside`);

  // onnxruntime-node: the Import model on the whole photo with the page's thumbnail statistics.
  const stats = new Float32Array(Buffer.from(await page.evaluate(() => window.studio.styleStats()), 'base64').buffer.slice(0));
  const onnxPath = path.join(work, 'import.onnx');
  tool('onnx', dir('style'), onnxPath, 'import');
  const session = await ort.InferenceSession.create(readFileSync(onnxPath));
  const n = W * H, x = new Float32Array(3 * n);
  for (let c = 0; c < 3; c++) for (let i = 0; i < n; i++) x[c * n + i] = Math.fround(255 * Math.fround(photo[i * 3 + c] / 255));
  const feeds = { input: new ort.Tensor('float32', x, [1, 3, H, W]) };
  let at = 0;
  // Each statistics input is [1, C, 1, 1]; C from the Export model's outputs on any image.
  const exportPath = path.join(work, 'export.onnx');
  tool('onnx', dir('style'), exportPath, 'export');
  const exp = await ort.InferenceSession.create(readFileSync(exportPath));
  const probe = await exp.run({ input: new ort.Tensor('float32', new Float32Array(3 * 64 * 64).fill(90), [1, 3, 64, 64]) });
  for (const name of session.inputNames.slice(1)) {
    const c = probe[name].dims[1];
    feeds[name] = new ort.Tensor('float32', stats.slice(at, at + c), [1, c, 1, 1]);
    at += c;
  }
  check(at === stats.length && stats.length > 0, `the page's statistics have ${stats.length} values, the model takes ${at}`);
  const ref = (await session.run(feeds)).output.data;
  const refRgb = Buffer.alloc(3 * n);
  for (let c = 0; c < 3; c++)
    for (let i = 0; i < n; i++) {
      const v = Math.fround(Math.fround(ref[c * n + i] / 255) * 255);
      refRgb[i * 3 + c] = v >= 255 ? 255 : v > 0 ? Math.trunc(v) : 0;
    }
  let maxd = 0, border = 0, nBorder = 0;
  for (let y = 0; y < H; y++)
    for (let xx = 0; xx < W; xx++)
      for (let c = 0; c < 3; c++) {
        const d = Math.abs(out[(y * W + xx) * 3 + c] - refRgb[(y * W + xx) * 3 + c]);
        maxd = Math.max(maxd, d);
        if ([...xs].some((b) => Math.abs(xx - b) <= 2) || [...ys].some((b) => Math.abs(y - b) <= 2)) border += d, nBorder++;
      }
  const mean = meanAbs(out, refRgb);
  console.log(`  vs onnxruntime-node on the whole image with the same statistics: mean |diff| ${mean.toFixed(3)}, max ${maxd}, at tile borders ${(border / nBorder).toFixed(3)}`);
  check(mean <= 1 && maxd <= 16 && border / nBorder <= 1, `tiled output differs from the whole-image run: mean ${mean}, max ${maxd}, borders ${border / nBorder}`);
  await session.release();
  await exp.release();
});

test('strength 0 gives the photo back, 1 the stylised image, between a linear blend; Save PNG writes it at full size', async () => {
  const styledPx = (await stylePixels('styled')).data;
  // Moves the strength slider and waits for the painting blended at the new strength.
  const strengthTo = async (fraction, ok) => {
    const before = (await styleState()).shown_version;
    await sliderTo('style_strength', fraction);
    const x = (await waitFor(page, ([v, f]) => {
      const st = window.studio.state().style;
      return st.shown_version > v && (f === 0 ? st.strength === 0 : f === 1 ? st.strength === 1 : st.strength > 0.3 && st.strength < 0.7);
    }, [before, fraction])).style;
    check(ok(x.strength), `strength ${x.strength} after moving the slider to ${fraction}`);
    return { k: x.strength, shown: await stylePixels('shown') };
  };
  let { shown } = await strengthTo(0, (k) => k === 0);
  check(shown.data.equals(photo), `strength 0 is not the photo (mean difference ${meanAbs(shown.data, photo)})`);
  const half = await strengthTo(0.5, (k) => k > 0.3 && k < 0.7);
  let worst = 0;
  for (let i = 0; i < half.shown.data.length; i++) worst = Math.max(worst, Math.abs(half.shown.data[i] - (photo[i] + half.k * (styledPx[i] - photo[i]))));
  check(worst <= 0.51, `strength ${half.k} is not a linear blend (off by ${worst})`);
  ({ shown } = await strengthTo(1, (k) => k === 1));
  check(shown.data.equals(styledPx), 'strength 1 is not the stylised image');
  const [download] = await Promise.all([page.waitForEvent('download'), click(page, 'style_save')]);
  check(download.suggestedFilename() === 'painting.png', `file name ${download.suggestedFilename()}`);
  const png = decodePng(readFileSync(await download.path()));
  check(png.width === W && png.height === H && png.pixels.equals(styledPx), `PNG ${png.width}x${png.height} is not the painting`);
});

test('the size control sets the longest side of the result', async () => {
  let st = await styleState();
  await sliderTo('style_size', (900 - 64) / (2048 - 64));
  st = await styled(st.jobs);
  check(Math.abs(st.size - 900) <= 40 && st.width === st.size && st.height === Math.round(st.size * H / W), `size ${st.size}: result ${st.width}x${st.height}`);
  check(st.last_tiles > plan.tiles.length, `${st.last_tiles} tiles at ${st.width}x${st.height}`);
});

test('a style bundle with a wrong range shows a message and the previous style keeps working', async () => {
  await click(page, 'style');
  await click(page, 'style_item_bad-range');
  const s = await waitFor(page, () => !!window.studio.state().style.error, null, 60000);
  check(/range/.test(s.style.error) && !s.style.error.includes('\n'), `message '${s.style.error}'`);
  check(s.rects.style_error, 'the message is not shown in the page');
  check(s.style.id === 'style', `style in use '${s.style.id}'`);
  const jobs = s.style.jobs;
  await page.evaluate(() => window.studio.restyle());
  await waitFor(page, (n) => { const x = window.studio.state().style; return x.jobs > n && !x.busy && !x.pending; }, jobs, 300000);
  check((await styleState()).id === 'style', 'the previous style is gone');
});

test('the sketch output is stylised live as the user draws, and the sketch model still works', async () => {
  let st = await styleState();
  await click(page, 'style_source_sketch');
  await waitFor(page, () => window.studio.state().style.source === 'sketch');
  st = await styled(st.jobs);
  check(!st.error, 'the earlier message stayed after choosing the sketch output');
  check(st.source === 'sketch' && st.width === 256 && st.height === 256, `source ${st.source}, ${st.width}x${st.height}`);
  const before = await state(page);
  await stroke(page, [[30, 40], [120, 200], [220, 50]]);
  const s = await settled(page);
  check(s.runs > before.runs && s.output_for === s.input_version, 'the sketch model did not run');
  await waitFor(page, (v) => { const x = window.studio.state().style; return x.sketch_version === v && !x.busy && !x.pending; }, s.output_version, 300000);
  const source = await stylePixels('source');
  check(source.data.equals(await outputPixels(page)), 'the painting was not made from the sketch model\'s latest output');
  check(meanAbs((await stylePixels('styled')).data, source.data) > 20, 'the painting hardly differs from the sketch output');
  await screenshot(page, 'style-sketch');
  check(page.errors.length === 0, `page errors: ${page.errors.join('; ')}`);
});

test('a style bundle listed without its task is refused by the sketch picker, which keeps its model', async () => {
  await selectModel(page, 'untagged');
  const s = await waitFor(page, () => !!window.studio.state().error, null, 60000);
  check(/style model/.test(s.error) && s.model === 'sketch', `model '${s.model}', message '${s.error}'`);
  await drawn(page);
  const before = await state(page);
  await stroke(page, [[200, 30], [60, 220]]);
  const after = await settled(page);
  check(after.runs > before.runs && after.model === 'sketch', 'the sketch model stopped working');
});

await run(async () => {
  await browser.close();
  server.close();
  removeDir(site);
  removeDir(work);
});
