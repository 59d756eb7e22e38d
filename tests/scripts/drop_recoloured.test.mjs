// scripts/datasets/drop-recoloured.mjs: of pairs that are one line drawing in several colours, the lowest code
// point stays, across splits and sets (also when one drawing is the other without some of its lines); the same
// drawing in the same colour, and other drawings, stay.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { ROOT, check, removeDir, run, tempDir, test } from '../browser/harness.mjs';
import { encodePng } from '../browser/png.mjs';

const script = path.join(ROOT, 'scripts', 'datasets', 'drop-recoloured.mjs');
const dir = tempDir('p2p-recoloured-');
const S = 256;
const drop = (...args) => spawnSync(process.execPath, [script, ...args], { encoding: 'utf8' });

// An A|B pair: A black lines on white where `line(x, y)`, B filled with `colour` where `inside(x, y)`.
function pair(split, name, line, inside, colour) {
  const rgb = Buffer.alloc(2 * S * S * 3, 255);
  for (let y = 0; y < S; y++)
    for (let x = 0; x < S; x++) {
      if (line(x, y)) rgb.fill(0, (y * 2 * S + x) * 3, (y * 2 * S + x) * 3 + 3);
      if (inside(x, y)) for (let k = 0; k < 3; k++) rgb[(y * 2 * S + S + x) * 3 + k] = colour[k];
    }
  mkdirSync(path.join(dir, split), { recursive: true });
  writeFileSync(path.join(dir, split, `${name}.png`), encodePng(rgb, 2 * S, S));
}
const r = (x, y) => Math.hypot(x - 128, y - 128);
const ring = (x, y) => Math.abs(r(x, y) - 90) < 1.5;
const disc = (x, y) => r(x, y) < 90;
const gleam = (x, y) => ring(x, y) || (Math.abs(r(x + 30, y + 30) - 12) < 1 && x < 98);  // a highlight's small arc
const withRing = (radius) => (x, y) => ring(x, y) || Math.abs(r(x, y) - radius) < 1.5;  // 90 / (90 + radius) of it the ring
const square = (x, y) => Math.max(Math.abs(x - 128), Math.abs(y - 128)) === 70;
const box = (x, y) => Math.max(Math.abs(x - 128), Math.abs(y - 128)) < 70;
const cross = (x, y) => Math.abs(x - y) < 1.5 || Math.abs(x + y - S) < 1.5;
const RED = [220, 40, 60], YELLOW = [250, 200, 40], BLUE = [40, 120, 220];

pair('train', '2764', gleam, disc, RED);
pair('train', '1f49b', ring, disc, YELLOW);       // the heart's drawing without its highlight, yellow: dropped
pair('test', '1f499', gleam, disc, BLUE);         // in another split: dropped
pair('train', '1f600', ring, disc, RED);          // the same drawing in the heart's colour, in its group: dropped
pair('train', '1f9e1', withRing(30), disc, [250, 140, 30]);  // the heart's lines and a highlight, 3/4 of it the heart's: dropped
pair('train', '1f7e0', withRing(60), disc, BLUE);  // the heart's lines, 3/5 of it: another drawing, kept
pair('train', 'noto-2b50', cross, disc, YELLOW);  // the star's drawing in the star's colour: kept
pair('train', 'noto-2764', square, box, RED);     // Noto's heart: another drawing
pair('val', '1f7e6', square, box, BLUE);          // Noto's heart's drawing in blue, in Twemoji: dropped for noto-2764
pair('val', '2b50', cross, disc, YELLOW);         // another drawing: kept
const names = () => ['train', 'val', 'test'].flatMap((s) => readdirSync(path.join(dir, s)).map((f) => `${s}/${f}`)).sort();

test('--dry-run says what it would drop and drops nothing', () => {
  const before = names();
  const p = drop(dir, '--dry-run');
  check(p.status === 0, `exit ${p.status}: ${p.stderr}`);
  check(/would drop 5 of 10 pairs/.test(p.stdout), `output: ${p.stdout}`);
  check(JSON.stringify(names()) === JSON.stringify(before), 'files changed in a dry run');
});

test('one drawing in several colours keeps its lowest code point, across splits and sets', () => {
  const p = drop(dir);
  check(p.status === 0, `exit ${p.status}: ${p.stderr}`);
  console.log(p.stdout.trim().split('\n').map((l) => `  ${l}`).join('\n'));
  const kept = names();
  const want = ['train/1f7e0.png', 'train/2764.png', 'train/noto-2764.png', 'train/noto-2b50.png', 'val/2b50.png'];
  check(JSON.stringify(kept) === JSON.stringify(want), `kept ${kept}`);
  check(!existsSync(path.join(dir, 'test', '1f499.png')) && /keeps 2764 .*drops 1f499 .*1f49b.*1f600.*1f9e1/.test(p.stdout), p.stdout);
  check(/keeps noto-2764 .*drops 1f7e6/.test(p.stdout), p.stdout);
  const again = drop(dir);
  check(again.status === 0 && /dropped 0 of 5 pairs/.test(again.stdout), `a second pass: ${again.stdout}`);
});

test('a folder without pairs, or with a file that is not a pair, is refused in one line', () => {
  const p = drop(path.join(dir, 'missing'));
  check(p.status === 1 && p.stderr.trim().split('\n').length === 1, `exit ${p.status}: ${p.stderr}`);
  writeFileSync(path.join(dir, 'train', 'broken.png'), 'not a png');
  const b = drop(dir);
  check(b.status === 1 && /broken\.png/.test(b.stderr) && b.stderr.trim().split('\n').length === 1, `exit ${b.status}: ${b.stderr}`);
  const u = drop();
  check(u.status === 2 && /usage/.test(u.stderr), `exit ${u.status}: ${u.stderr}`);
});

await run(async () => removeDir(dir));
