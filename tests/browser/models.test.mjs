// Models in the page: switching with the model picker, broken bundles (missing weights, wrong shapes,
// bad JSON, a truncated download, a network or a weights file too big) that show a message while the page keeps working, the variation
// control (dropout noise, re-roll), licences from model.json, and a second visit with the server gone.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';

import {
  check, difference, inputPixels, launch, makeBundle, makeSite, onnxBytes, openPage, outputPixels, referenceOutput,
  removeDir, run, screenshot, screenshotOnFailure, selectModel, serveSite, settled, shownOutput, state, stroke, tempDir, test,
  waitFor, click,
} from './harness.mjs';

const work = tempDir('p2p-models-');
const dir = (id) => path.join(work, id);
makeBundle(dir('a'), { net: 'unet_256', ngf: 8, size: 256, seed: 11, name: 'A', gain: 0.2, license: 'CC-BY-4.0 (test)', attribution: 'Test data by A. Person' });
makeBundle(dir('b'), { net: 'unet_128', ngf: 8, size: 128, seed: 12, name: 'B', gain: 0.2 });
makeBundle(dir('thin'), { net: 'unet_256', ngf: 4, size: 256, seed: 13, name: 'thin' });

const goodJson = readFileSync(path.join(dir('a'), 'model.json'), 'utf8');
const thinWeights = readFileSync(path.join(dir('thin'), 'weights.safetensors'));
const goodWeights = readFileSync(path.join(dir('a'), 'weights.safetensors'));
const broken = {
  // model.json names a weights file that is not there (HTTP 404)
  'missing-weights': { 'model.json': goodJson },
  // a consistent digest, but ngf 4 weights under an ngf 8 architecture
  'wrong-shapes': {
    'model.json': goodJson.replace(/"sha256": "[0-9a-f]+"/, `"sha256": "${createHash('sha256').update(thinWeights).digest('hex')}"`),
    'weights.safetensors': thinWeights,
  },
  'bad-json': { 'model.json': goodJson.slice(0, goodJson.length / 2), 'weights.safetensors': goodWeights },
  'truncated': { 'model.json': goodJson, 'weights.safetensors': goodWeights.subarray(0, goodWeights.length >> 1) },
  // billions of weights: refused from model.json alone (no weights file, so a download would say HTTP 404)
  'huge-network': { 'model.json': goodJson.replace(/"ngf": "8"/, '"ngf": "4096"') },
  // more bytes than the network can fill: refused from the Content-Length, before a byte is kept
  'oversized-weights': { 'model.json': goodJson, 'weights.safetensors': Buffer.concat([goodWeights, Buffer.alloc(256 * 1024)]) },
};
const expected = {
  'missing-weights': /HTTP 404/,
  'wrong-shapes': /do not fit/,
  'bad-json': /model\.json: line \d+/,
  'truncated': /sha256/,
  'huge-network': /more weights than a bundle may hold/,
  'oversized-weights': /more than the \d+ bytes its model\.json allows/,
};
const site = makeSite([
  { id: 'a', name: 'Model A', dir: dir('a'), default: true },
  { id: 'b', name: 'Model B', dir: dir('b') },
  ...Object.entries(broken).map(([id, files]) => ({ id, files })),
]);
const { server, url } = await serveSite(site);
const browser = await launch();
const page = await openPage(browser, `${url}?backend=wasm`);
screenshotOnFailure(page);

async function drawAndCheckWorking(what) {
  const before = await state(page);
  await stroke(page, [[10, 10 + before.runs * 7], [100, 60 + before.runs * 7]]);
  const s = await settled(page);
  check(s.runs > before.runs && s.output_for === s.input_version, `the page stopped computing after ${what}`);
}

test('model A loads by default, with its licence and attribution from model.json', async () => {
  const s = await settled(page);
  check(s.model === 'a' && !s.error, `model '${s.model}', error '${s.error}'`);
  const a = s.models.find((m) => m.id === 'a');
  check(a.license === 'CC-BY-4.0 (test)' && a.attribution === 'Test data by A. Person', `licence '${a.license}', attribution '${a.attribution}'`);
  await drawAndCheckWorking('loading');
});

for (const id of Object.keys(broken)) {
  test(`a broken bundle (${id}) shows a message; the model in use keeps working`, async () => {
    await selectModel(page, id);
    const s = await waitFor(page, (i) => {
      const s = window.studio.state();
      return s.error.startsWith(i) && !s.downloading && !s.preparing && !!s.rects.model_error;
    }, id);
    console.log(`  ${id}: "${s.error}"`);
    check(expected[id].test(s.error), `message '${s.error}' does not match ${expected[id]}`);
    check(s.model === 'a', `model '${s.model}' after the broken '${id}'`);
    check(s.rects.model_error, 'the message is not shown in the model panel');
    if (id === 'wrong-shapes') await screenshot(page, 'models-broken-bundle');
    await drawAndCheckWorking(`the broken '${id}'`);
  });
}

test('switching to model B (128x128) resizes the canvas; its output matches onnxruntime-node', async () => {
  await selectModel(page, 'b');
  let s = await settled(page);
  check(s.model === 'b' && !s.error && s.width === 128 && s.height === 128, `model ${s.model} ${s.width}x${s.height} '${s.error}'`);
  await stroke(page, [[10, 10], [120, 100]]);
  s = await settled(page);
  const d = difference(await outputPixels(page), await referenceOutput(await onnxBytes(page), await inputPixels(page), 128, 128));
  check(d.mean <= 2 && d.max <= 16, `model B differs from onnxruntime-node: mean ${d.mean}, max ${d.max}`);
  await screenshot(page, 'models-switched');
});

test('variation: dropout noise changes the output, re-roll changes it again', async () => {
  let s = await settled(page);
  const plain = await outputPixels(page);
  // Each change makes a new session, then a run: wait for a run newer than the click.
  await click(page, 'variation');
  await waitFor(page, (r) => { const s = window.studio.state(); return s.variation && s.runs > r; }, s.runs, 120000);
  s = await settled(page);
  const noisy = await outputPixels(page);
  check(difference(plain, noisy).mean > 1, 'dropout noise did not change the output');
  const seed = s.seed;
  await click(page, 'reroll');
  await waitFor(page, ([v, r]) => { const s = window.studio.state(); return s.seed !== v && s.runs > r; }, [seed, s.runs], 120000);
  s = await settled(page);
  check(difference(noisy, await outputPixels(page)).mean > 1, `re-roll (seed ${seed} -> ${s.seed}) did not change the output`);
  await screenshot(page, 'models-variation');
  await click(page, 'variation');
  await waitFor(page, () => !window.studio.state().variation);
  await settled(page);
});

test('a second visit works offline: page, ONNX Runtime and bundle come from the browser caches', async () => {
  const own = await serveSite(site);
  const visit = await openPage(browser, `${own.url}?backend=wasm&model=a`);
  await settled(visit);
  own.server.close();
  own.server.closeAllConnections();
  await visit.reload();
  await visit.waitForFunction(() => window.studio && window.studio.started, null, { timeout: 60000 });
  const s = await settled(visit);
  check(s.model === 'a' && !s.error, `offline: model '${s.model}', error '${s.error}'`);
  // The page draws a frame only when something changes: give the first frame after the reload time to come.
  let shown = { mean: Infinity };
  for (let tries = 0; tries < 30 && shown.mean >= 1; tries++) {
    if (tries) await visit.waitForTimeout(500);
    shown = difference(await shownOutput(visit), await outputPixels(visit));
  }
  await screenshot(visit, 'models-offline');
  check(shown.mean < 1, `the page does not show its output (mean difference ${shown.mean})`);
  await visit.context().close();
});

await run(async () => {
  check(page.errors.length === 0, `page errors: ${page.errors.join('; ')}`);
  await browser.close();
  server.close();
  removeDir(site);
  removeDir(work);
});
