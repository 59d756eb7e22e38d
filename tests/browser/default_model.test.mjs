// The page as built (build/web, its own models/index.json) loads the trained default model, edges2emoji,
// shows its Twemoji CC-BY attribution, and turns a drawn face outline into a coloured picture: not blank,
// not the input back, with emoji colours (an untrained model gives grey noise and fails here); outlines drawn with
// the page's pen come out saturated, without a checkerboard; and its model.json
// records how it was made, within the size budget, with the metrics the README shows.
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';

import {
  ROOT, WEB_DIR, check, click, difference, inked, inputPixels, launch, openPage, outputPixels, run, screenshot,
  screenshotOnFailure, serveSite, settled, stroke, test, waitFor,
} from './harness.mjs';
import { SHAPES, colourOf, draw, judgePainted } from '../ort/sketch_shapes.mjs';

const ID = 'edges2emoji';
const listed = JSON.parse(readFileSync(path.join(WEB_DIR, 'models', 'index.json'), 'utf8')).models.find((e) => e.id === ID);
check(listed, `${WEB_DIR}/models/index.json does not list ${ID}: run scripts/build wasm first`);
const { server, url } = await serveSite(WEB_DIR);  // no COOP/COEP: the service worker provides isolation
const browser = await launch();
const page = await openPage(browser, `${url}?backend=wasm`);
screenshotOnFailure(page);

// Thresholds, in levels of 255. Measured with the first checkpoint (1 epoch): std dev of 8x8 block
// means r/g/b 19.2/44.4/70.4 (mean 44.7; a yellow-orange face on white, so red stays high), 56% of
// blocks coloured, mean |output - input| 57, mean |pixel - left neighbour| 1.7. Untrained unet_256s
// (ngf 16) give noise: at init gain 0.02 grey (block std dev 1.9, no coloured block, neighbour 14.4),
// at gain 0.2 saturated (block std dev 13.3, 83% of blocks coloured, neighbour 84).
const MIN_STD = 20, MIN_DIFF = 20, CHROMA = 40, MIN_COLOURED = 0.05, MAX_ROUGH = 6;

// Statistics of 8x8 block means: an untrained model's output is per-pixel noise, which mostly
// averages away there; a trained one paints regions of colour, which do not.
const BLOCK = 8;
function blocks(rgb, width, height) {
  const out = [];
  for (let by = 0; by < height; by += BLOCK)
    for (let bx = 0; bx < width; bx += BLOCK) {
      const m = [0, 0, 0];
      for (let y = by; y < by + BLOCK; y++)
        for (let x = bx; x < bx + BLOCK; x++) for (let c = 0; c < 3; c++) m[c] += rgb[(y * width + x) * 3 + c];
      out.push(...m.map((v) => v / (BLOCK * BLOCK)));
    }
  return out;
}

function stats(rgb) {
  const n = rgb.length / 3, sum = [0, 0, 0], sq = [0, 0, 0];
  let coloured = 0;
  for (let i = 0; i < rgb.length; i += 3) {
    for (let c = 0; c < 3; c++) sum[c] += rgb[i + c], sq[c] += rgb[i + c] * rgb[i + c];
    if (Math.max(rgb[i], rgb[i + 1], rgb[i + 2]) - Math.min(rgb[i], rgb[i + 1], rgb[i + 2]) > CHROMA) coloured++;
  }
  const mean = sum.map((s) => s / n);
  const std = sq.map((s, c) => Math.sqrt(Math.max(0, s / n - mean[c] * mean[c])));
  return { mean, std, meanStd: (std[0] + std[1] + std[2]) / 3, coloured: coloured / n };
}

// Mean |pixel - its left neighbour| over all channels: low for painted regions, high for noise.
function roughness(rgb, width) {
  let sum = 0, n = 0;
  for (let i = 3; i < rgb.length; i++)
    if ((i / 3 | 0) % width) sum += Math.abs(rgb[i] - rgb[i - 3]), n++;
  return sum / n;
}

test('the default model is edges2emoji, loaded without error, with its Twemoji CC-BY attribution', async () => {
  const s = await settled(page, 300000);
  check(!s.error, `error shown: ${s.error}`);
  check(s.model === ID, `default model '${s.model}', wanted ${ID}`);
  check(s.backend.startsWith('wasm'), `backend '${s.backend}', wanted wasm`);
  check(s.width === 256 && s.height === 256, `canvas ${s.width}x${s.height}`);
  // Style bundles (task "style") belong to the style panel: edges2emoji is the one sketch model.
  const sketches = s.models.filter((e) => e.task !== 'style');
  check(listed.default && (listed.task ?? 'sketch') === 'sketch' && sketches.length === 1,
    `index.json: default ${listed.default}, task ${listed.task}, ${sketches.length} sketch models listed`);
  // The page shows model.json's licence and attribution (they win over index.json's): both must credit Twemoji.
  const m = s.models.find((e) => e.id === ID);
  console.log(`  ${ID}: licence '${m.license}', attribution '${m.attribution}'`);
  for (const [where, e] of [['index.json', listed], ['the page (model.json)', m]])
    check(/CC-BY/.test(e.license) && /Twemoji/.test(e.attribution) && /CC-BY/.test(e.attribution),
      `${where}: licence '${e.license}', attribution '${e.attribution}': no Twemoji CC-BY attribution`);
  await click(page, 'licences');
  await waitFor(page, () => !!window.studio.state().rects.licences_panel);
  await screenshot(page, 'default-model-licences');
  await click(page, 'licences_close');
  await waitFor(page, () => !window.studio.state().rects.licences_panel);
});

test('a drawn face outline becomes a coloured picture, neither blank nor the input', async () => {
  const round = (points) => points.map(([x, y]) => [Math.round(x), Math.round(y)]);
  const arc = (cx, cy, r, from, to, n) =>
    round(Array.from({ length: n + 1 }, (_, i) => from + (to - from) * i / n).map((a) => [cx + r * Math.cos(a), cy + r * Math.sin(a)]));
  // The page opens on an example drawing (examples/): the face goes on a cleared page.
  await click(page, 'clear');
  await waitFor(page, () => window.studio.state().undo >= 1);
  check(inked(await inputPixels(page)) === 0, 'Clear left ink');
  await stroke(page, arc(128, 128, 108, 0, 2 * Math.PI, 24), 4);  // head
  await stroke(page, [[92, 88], [92, 118]]);                         // eyes
  await stroke(page, [[164, 88], [164, 118]]);
  await stroke(page, arc(128, 140, 52, Math.PI / 6, 5 * Math.PI / 6, 10), 4);  // smile (y grows downwards)
  const s = await settled(page, 300000);
  check(!s.error && s.model === ID, `model '${s.model}', error '${s.error}'`);
  const input = await inputPixels(page);
  check(inked(input) > 1500, `the face left ${inked(input)} inked pixels`);
  const output = await outputPixels(page);
  check(output && output.length === input.length, 'no output of the input size');
  await screenshot(page, 'default-model-face');

  const px = stats(output), bl = stats(blocks(output, s.width, s.height)), diff = difference(output, input).mean;
  const f = (xs) => xs.map((x) => x.toFixed(1)).join('/');
  const line = (what, m) => `  ${what}: mean r/g/b ${f(m.mean)}, std dev r/g/b ${f(m.std)} (mean ${m.meanStd.toFixed(1)}), ` +
    `coloured (max-min > ${CHROMA}) ${(100 * m.coloured).toFixed(1)}%`;
  console.log(line('pixels', px));
  console.log(line(`${BLOCK}x${BLOCK} blocks`, bl));
  const rough = roughness(output, s.width);
  console.log(`  mean |output - input| ${diff.toFixed(1)}, mean |pixel - left neighbour| ${rough.toFixed(1)} (levels of 255; ${s.last_ms.toFixed(0)} ms per image)`);
  check(bl.meanStd > MIN_STD, `the output is nearly uniform: ${BLOCK}x${BLOCK} block std dev ${bl.meanStd.toFixed(1)} (wanted > ${MIN_STD})`);
  check(px.mean.some((v) => v > 20) && px.mean.some((v) => v < 235), `the output is nearly all black or white: mean ${f(px.mean)}`);
  check(diff > MIN_DIFF, `the output is nearly the input: mean difference ${diff.toFixed(1)} (wanted > ${MIN_DIFF})`);
  check(bl.coloured > MIN_COLOURED,
    `only ${(100 * bl.coloured).toFixed(1)}% of the ${BLOCK}x${BLOCK} blocks are coloured (wanted > ${100 * MIN_COLOURED}%)`);
  check(rough < MAX_ROUGH, `the output is noise: mean |pixel - left neighbour| ${rough.toFixed(1)} (wanted < ${MAX_ROUGH})`);
  check(page.errors.length === 0, `page errors: ${page.errors.join('; ')}`);
});

// What tests/ort/sketch_colours.test.mjs asks of the model on outlines drawn by code (1.5 px lines), asked here of
// the same outlines drawn in the page: its pen (3 px by default), smoothing and antialiasing are what users give
// the model. Drawn by code 3 px wide, a heart came out pale (saturation 0.39) and a star with a grid (4.6); drawn
// with the page's pen, 0.60 and 3.7 (the epoch-96 model); 0.79 and 2.6 after training on wider lines (epoch 120);
// 0.79 and 1.7 (grid of the star) at epoch 136.
test('outlines drawn with the default pen come out saturated, without a checkerboard', async () => {
  for (const name of ['heart', 'star']) {
    await click(page, 'clear');
    await settled(page, 300000);
    // One mouse move per corner of the outline (the star's are 70 px apart): the pen follows the path between them.
    await stroke(page, [...SHAPES[name].outline, SHAPES[name].outline[0]], 1);
    const s = await settled(page, 300000);
    check(!s.error, `error shown: ${s.error}`);
    const output = await outputPixels(page);
    check(output && output.length === 3 * s.width * s.height, 'no output of the input size');
    await screenshot(page, `default-model-${name}`);
    judgePainted(`${name} drawn with the default pen (${s.line_width} px)`, colourOf(output, draw(SHAPES[name]).interior));
  }
});

test('model.json records how the default model was made, within budget, and the README shows its metrics', async () => {
  const dir = path.join(ROOT, 'web', 'models', ID), manifest = JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8'));
  const bytes = statSync(path.join(dir, manifest.weights.file)).size;
  console.log(`  ${ID}: ${(bytes / 1e6).toFixed(1)} MB of ${manifest.weights.dtype} weights`);
  check(bytes <= 12e6 && manifest.weights.dtype === 'float16', `weights: ${bytes} bytes of ${manifest.weights.dtype} (at most 12 MB of float16)`);
  const p = manifest.provenance, num = (x) => typeof x === 'number' && Number.isFinite(x);
  check(manifest.model.net === 'unet_256' && p.training_options?.netG === 'unet_256', 'not a unet_256 with its training options');
  check(p.dataset_details?.pairs?.test > 0 && /Twemoji/.test(p.dataset_details.source), 'no dataset details');
  check(p.epochs > 0 && p.images_seen > 0 && p.train_seconds > 0 && p.hardware, `epochs ${p.epochs}, images ${p.images_seen}, ` +
    `seconds ${p.train_seconds}, hardware '${p.hardware}'`);
  for (const [what, m] of [['the model', p.test_metrics], ['the L1-only model', p.l1_only_baseline?.test_metrics]])
    check(m && m.count === p.dataset_details.pairs.test && [m.l1, m.ssim, m.psnr, m.lab_intersection_set?.a].every(num),
      `${what}: test metrics missing or not over the whole test split`);
  check(p.l1_only_baseline.epochs === p.epochs, 'the L1-only model trained for other epochs');
  const table = execFileSync('node', [path.join(ROOT, 'scripts', 'default-provenance.mjs'), '--table', path.join(dir, 'model.json')],
    { encoding: 'utf8' });
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  for (const row of table.split('\n').filter((l) => l.startsWith('| L1')))
    check(readme.includes(row), `README.md lacks the metrics row '${row}' of model.json`);
});

await run(async () => {
  await browser.close();
  server.close();
});
