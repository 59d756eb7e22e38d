// Editing the input with the page's own controls, clicked with the mouse: undo, redo (buttons and
// Ctrl+Z / Ctrl+Shift+Z), eraser, clear, touch strokes, opening a photo and its line drawing, saving the
// output as PNG, live mode, the HiDPI canvas and the licences panel. Read back from the page.
import { readFileSync } from 'node:fs';
import path from 'node:path';

import {
  check, click, inked, inputPixels, launch, makeBundle, makeSite, openPage, outputPixels, removeDir, run, screenshot,
  screenshotOnFailure,
  serveSite, settled, state, stroke, tempDir, test, touchStroke, waitFor,
} from './harness.mjs';
import { decodePng, encodePng } from './png.mjs';

const work = tempDir('p2p-editing-');
makeBundle(path.join(work, 'u256'), { net: 'unet_256', ngf: 8, size: 256, seed: 3, name: 'U-Net 256 (test)', gain: 0.2 });
const site = makeSite([{ id: 'u256', name: 'Test U-Net', dir: path.join(work, 'u256'), default: true }]);
const { server, url } = await serveSite(site);
const browser = await launch();
const page = await openPage(browser, `${url}?backend=wasm`, { hasTouch: true });
screenshotOnFailure(page);
await settled(page);

const same = (a, b) => a.length === b.length && a.equals(b);
// Waits for the app to take a click or key (it acts in its next frame) by watching the input version.
async function acted(before, what) {
  return waitFor(page, (v) => window.studio.state().input_version !== v, before.input_version, 10000).catch(() => {
    throw new Error(`${what} did not change the input`);
  });
}

test('undo and redo (buttons and Ctrl+Z / Ctrl+Shift+Z) restore the input exactly', async () => {
  const blank = await inputPixels(page);
  check(inked(blank) === 0, 'the page does not start blank');
  await stroke(page, [[40, 40], [120, 200], [220, 60]]);
  const drawn = await inputPixels(page);
  check(inked(drawn) > 200, `the stroke left ${inked(drawn)} inked pixels`);

  let s = await state(page);
  await click(page, 'undo');
  s = await acted(s, 'Undo');
  check(same(await inputPixels(page), blank) && s.undo === 0 && s.redo === 1, 'Undo did not bring back the blank page');
  await click(page, 'redo');
  s = await acted(s, 'Redo');
  check(same(await inputPixels(page), drawn), 'Redo did not bring back the stroke');

  await page.keyboard.press('Control+z');
  s = await acted(s, 'Ctrl+Z');
  check(same(await inputPixels(page), blank), 'Ctrl+Z did not undo');
  await page.keyboard.press('Control+Shift+z');
  s = await acted(s, 'Ctrl+Shift+Z');
  check(same(await inputPixels(page), drawn), 'Ctrl+Shift+Z did not redo');
});

// Pointer events far apart (a slow device, a quick hand): the pen's smoothing follows the path between them, so
// it rounds a star's tips by a pixel or two. Followed per event, it cut them by most of a side (about 25 px).
test('a star drawn with one pointer event per corner keeps its tips', async () => {
  let s = await state(page);
  await click(page, 'clear');
  s = await acted(s, 'Clear');
  const at = (i, r) => [128 + r * Math.sin((Math.PI * i) / 5), 136 - r * Math.cos((Math.PI * i) / 5)];
  const corners = Array.from({ length: 11 }, (_, i) => at(i, i % 2 ? 45 : 110));
  await stroke(page, corners, 1);
  const rgb = await inputPixels(page), dark = [];
  for (let i = 0; i < rgb.length / 3; i++) if (rgb[3 * i] < 128) dark.push([i % s.width, Math.floor(i / s.width)]);
  const misses = corners.slice(0, 10).filter((_, i) => i % 2 === 0)
    .map(([x, y]) => Math.min(...dark.map(([u, v]) => Math.hypot(u + 0.5 - x, v + 0.5 - y))));
  console.log(`  the ink nearest each tip: ${misses.map((d) => d.toFixed(1)).join(', ')} px away`);
  check(misses.every((d) => d <= 4), `the star's tips were rounded off: ink ${misses.map((d) => d.toFixed(1))} px from them`);
  s = await state(page);
  await click(page, 'clear');
  await acted(s, 'Clear');
});

test('the eraser removes ink along its path; clear empties the page and is undoable', async () => {
  let s = await state(page);
  await click(page, 'eraser');
  s = await waitFor(page, () => window.studio.state().tool === 'eraser');
  // A click near the right end of the width slider makes the eraser wide.
  const w = s.rects.width;
  await page.mouse.click(w.x + w.w * 0.95, w.y + w.h / 2);
  s = await waitFor(page, () => window.studio.state().line_width > 15);
  const before = inked(await inputPixels(page));
  await stroke(page, [[40, 40], [120, 200], [220, 60]]);
  const after = inked(await inputPixels(page));
  check(after === 0, `the eraser left ${after} of ${before} inked pixels`);

  await click(page, 'pen');
  await waitFor(page, () => window.studio.state().tool === 'pen');
  await stroke(page, [[30, 220], [220, 220]]);
  const drawn = await inputPixels(page);
  check(inked(drawn) > 200, 'the wide pen drew little');
  s = await state(page);
  await click(page, 'clear');
  s = await acted(s, 'Clear');
  check(inked(await inputPixels(page)) === 0, 'Clear left ink');
  await click(page, 'undo');
  await acted(s, 'Undo after Clear');
  check(same(await inputPixels(page), drawn), 'Undo after Clear did not bring the drawing back');
});

test('a touch stroke draws', async () => {
  const before = inked(await inputPixels(page));
  await touchStroke(page, [[20, 20], [230, 30]]);
  const s = await waitFor(page, () => !window.studio.state().stroking);
  check(inked(await inputPixels(page)) > before + 100, 'the touch stroke drew nothing');
  check(s.tool === 'pen', 'tool changed');
});

test('an opened photo becomes the input (cropped to the model shape), and Photo to lines draws its edges', async () => {
  // 300x200: dark left half, light right half. Centre-cropped to 200x200, scaled to 256: the edge is at x = 128.
  const W = 300, H = 200, rgb = Buffer.alloc(W * H * 3);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) rgb.fill(x < 150 ? 40 : 220, (y * W + x) * 3, (y * W + x) * 3 + 3);
  let s = await state(page);
  await page.setInputFiles('#file', { name: 'photo.png', mimeType: 'image/png', buffer: encodePng(rgb, W, H) });
  s = await acted(s, 'Opening a photo');
  const input = await inputPixels(page);
  const px = (x, y) => input[(y * 256 + x) * 3];
  check(Math.abs(px(30, 128) - 40) <= 2 && Math.abs(px(226, 128) - 220) <= 2, `photo not fitted: ${px(30, 128)}, ${px(226, 128)}`);
  check(s.notice.includes('300x200'), `notice '${s.notice}'`);

  await click(page, 'edges');
  await acted(s, 'Photo to lines');
  const lines = await inputPixels(page);
  let near = 0, far = 0;
  for (let y = 0; y < 256; y++)
    for (let x = 0; x < 256; x++) if (lines[(y * 256 + x) * 3] < 128) Math.abs(x - 128) <= 3 ? near++ : far++;
  check(near >= 200 && far <= 20, `line drawing: ${near} dark pixels at the edge, ${far} elsewhere`);
  await settled(page);
  await screenshot(page, 'editing-photo-lines');
});

test('Save PNG downloads the output image', async () => {
  await settled(page);
  const [download] = await Promise.all([page.waitForEvent('download'), click(page, 'save')]);
  check(download.suggestedFilename() === 'pix2pix.png', `file name ${download.suggestedFilename()}`);
  const png = decodePng(readFileSync(await download.path()));
  check(png.width === 256 && png.height === 256 && png.channels === 3, `PNG ${png.width}x${png.height}x${png.channels}`);
  check(png.pixels.equals(await outputPixels(page)), 'the PNG is not the output shown');
});

test('live mode coalesces strokes (one run in flight); without it, Generate runs once', async () => {
  let s = await settled(page);
  // One stroke starts a run; five more strokes arrive while it is in flight. They come as pointer
  // events from the page itself, as real mouse strokes here take longer than a run.
  const runs = s.runs, strokes = 6;
  await page.evaluate(async ({ strokes, rect, k }) => {
    const canvas = document.getElementById('canvas');
    const send = (type, x, y) => canvas.dispatchEvent(new PointerEvent(type, {
      clientX: rect.x + x * k, clientY: rect.y + y * k, pointerId: 7, pointerType: 'mouse', button: 0,
      buttons: type === 'pointerup' ? 0 : 1, pressure: type === 'pointerup' ? 0 : 0.5, bubbles: true,
    }));
    const strokeAt = (i) => {
      send('pointerdown', 20 + i * 30, 100);
      send('pointermove', 30 + i * 30, 140);
      send('pointerup', 40 + i * 30, 180);
    };
    strokeAt(0);
    while (!window.studio.state().busy) await new Promise((r) => setTimeout(r, 2));
    for (let i = 1; i < strokes; i++) strokeAt(i);
  }, { strokes, rect: s.rects.input, k: s.rects.input.w / s.width });
  s = await settled(page);
  console.log(`  ${strokes} strokes, 5 of them during a run: ${s.runs - runs} runs of ${s.last_ms.toFixed(0)} ms`);
  check(s.runs - runs === 2, `${s.runs - runs} runs for ${strokes} strokes (1 + 1 coalesced expected)`);
  check(s.maxInFlight === 1, `${s.maxInFlight} runs in flight at once`);

  await click(page, 'live');
  s = await waitFor(page, () => !window.studio.state().live);
  await stroke(page, [[20, 240], [240, 240]]);
  await new Promise((r) => setTimeout(r, 500));
  const idle = await state(page);
  check(idle.runs === s.runs && idle.output_for !== idle.input_version, 'a stroke ran the model with live mode off');
  await click(page, 'generate');
  s = await settled(page);
  check(s.runs === idle.runs + 1, `Generate made ${s.runs - idle.runs} runs`);
  await click(page, 'live');
  await waitFor(page, () => window.studio.state().live);
});

test('licences panel shows the model licence and the software licences', async () => {
  await click(page, 'licences');
  const s = await waitFor(page, () => !!window.studio.state().rects.licences_panel);
  check(s.models[0].license === 'MIT', `licence '${s.models[0].license}'`);
  await screenshot(page, 'editing-licences');
  await click(page, 'licences_close');
  await waitFor(page, () => !window.studio.state().rects.licences_panel);
});

test('HiDPI: the canvas has device pixels and shows the drawing at whole multiples', async () => {
  const hidpi = await openPage(browser, `${url}?backend=wasm`, { deviceScaleFactor: 2 });
  await stroke(hidpi, [[30, 30], [220, 220]]);
  const s = await settled(hidpi);
  const canvas = await hidpi.evaluate(() => [document.getElementById('canvas').width, innerWidth]);
  check(s.pixel_ratio === 2 && canvas[0] === 2 * canvas[1], `pixel ratio ${s.pixel_ratio}, canvas ${canvas[0]} for ${canvas[1]} CSS px`);
  const devicePx = s.rects.input.w * 2;
  check(Math.abs(devicePx / 256 - Math.round(devicePx / 256)) < 1e-6, `input shown ${devicePx} device px wide`);
  await screenshot(hidpi, 'editing-hidpi');
  await hidpi.context().close();
});

await run(async () => {
  check(page.errors.length === 0, `page errors: ${page.errors.join('; ')}`);
  await screenshot(page, 'editing-final');
  await browser.close();
  server.close();
  removeDir(site);
  removeDir(work);
});
