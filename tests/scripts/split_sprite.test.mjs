// scripts/datasets/split-sprite.mjs, which turns @svgmoji/noto's sprite into the per-emoji SVG files that
// scripts/datasets/emoji renders: names as Twemoji's, nested elements kept whole, broken sprites refused.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { ROOT, check, removeDir, run, tempDir, test } from '../browser/harness.mjs';

const script = path.join(ROOT, 'scripts', 'datasets', 'split-sprite.mjs');
const dir = tempDir('p2p-sprite-');
const split = (sprite, out) => spawnSync(process.execPath, [script, sprite, out], { encoding: 'utf8' });

test('each emoji becomes one file named as Twemoji names it, with what it holds', () => {
  const heart = '<svg viewBox="0 0 128 128" id="2764" xmlns="http://www.w3.org/2000/svg"><path fill="#F44336" d="M1 1h9"/></svg>';
  const keycap = '<svg viewBox="0 0 128 128" id="0023-FE0F-20E3" xmlns="http://www.w3.org/2000/svg">' +
    '<svg x="4"><use xlink:href="#g"/></svg><svg/></svg>';
  writeFileSync(path.join(dir, 'sprite.svg'), `<?xml version="1.0"?><svg viewBox="0 0 2000 2000"><style>:root>svg{display:none}</style>${heart}${keycap}</svg>`);
  const r = split(path.join(dir, 'sprite.svg'), path.join(dir, 'out'));
  check(r.status === 0, `exit ${r.status}: ${r.stderr}`);
  const files = readdirSync(path.join(dir, 'out')).sort();
  check(JSON.stringify(files) === JSON.stringify(['23-fe0f-20e3.svg', '2764.svg']), `files: ${files}`);
  check(readFileSync(path.join(dir, 'out', '2764.svg'), 'utf8') === heart, 'the heart is not the sprite\'s element as it was');
  const k = readFileSync(path.join(dir, 'out', '23-fe0f-20e3.svg'), 'utf8');
  check(k.includes('xmlns:xlink="http://www.w3.org/1999/xlink"') && k.includes('<svg x="4"><use xlink:href="#g"/></svg><svg/></svg>'),
    `the keycap lost its nested elements or its xlink namespace: ${k}`);
});

test('a sprite with unbalanced <svg> tags is refused in one line', () => {
  writeFileSync(path.join(dir, 'cut.svg'), '<svg><svg viewBox="0 0 128 128" id="1F600"><path/>');
  const r = split(path.join(dir, 'cut.svg'), path.join(dir, 'cut'));
  check(r.status === 1 && r.stderr.trim().split('\n').length === 1 && /unbalanced/.test(r.stderr), `exit ${r.status}: ${r.stderr}`);
});

test('the installed @svgmoji/noto sprite gives the heart, the apple and thousands more', () => {
  const sprite = path.join(ROOT, 'node_modules', '@svgmoji', 'noto', 'sprites', 'all.svg');
  const r = split(sprite, path.join(dir, 'noto'));
  check(r.status === 0, `exit ${r.status}: ${r.stderr}`);
  const files = new Set(readdirSync(path.join(dir, 'noto')));
  check(files.size > 3000 && files.has('2764.svg') && files.has('1f34e.svg') && files.has('2b50.svg'), `${files.size} files`);
  const apple = readFileSync(path.join(dir, 'noto', '1f34e.svg'), 'utf8');
  check(apple.startsWith('<svg ') && apple.endsWith('</svg>'), 'the apple is not one <svg> element');
});

await run(async () => removeDir(dir));
