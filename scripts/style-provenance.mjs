// What a default style bundle's model.json records beyond the checkpoint's metadata (used by scripts/train-styles):
// the painting (title, artist, year, source, from the styles folder's README table) and the training photos
// (names, authors, licence, package, from the photos' sources.json).
//   node scripts/style-provenance.mjs STYLES_DIR STYLE PHOTOS_SOURCES_JSON   -> provenance JSON on stdout
import { readFileSync } from 'node:fs';
import path from 'node:path';

const [stylesDir, style, sourcesFile] = process.argv.slice(2);
if (!sourcesFile) {
  console.error('usage: node scripts/style-provenance.mjs STYLES_DIR STYLE PHOTOS_SOURCES_JSON');
  process.exit(2);
}
// The README's table: | file | work | artist | year |
const row = readFileSync(path.join(stylesDir, 'README.md'), 'utf8').split('\n')
  .map((l) => l.split('|').map((c) => c.trim()))
  .find((cells) => cells[1] === `${style}.jpg`);
if (!row) {
  console.error(`style-provenance: ${style}.jpg is not in ${stylesDir}/README.md`);
  process.exit(1);
}
const [, file, title, artist, year] = row;
const sources = JSON.parse(readFileSync(sourcesFile, 'utf8'));
const photos = sources.photos.filter((p) => p.file.startsWith('train/'));
const painting = {
  file, title, artist, year,
  license: 'public domain (reproduction of a painting whose painter died more than 70 years ago, or first published before 1929 in the United States)',
  source: 'the project\'s shared style images (a reproduction; not part of the repository)',
};
console.log(JSON.stringify({
  painting,
  training_photos: { count: photos.length, package: sources.package, license: sources.license,
    photos: photos.map((p) => ({ file: path.basename(p.file), title: p.title, author: p.author })) },
  held_out_photos: sources.photos.filter((p) => p.file.startsWith('heldout/')).map((p) => path.basename(p.file)),
  license_summary: 'Painting: public domain. Training photos: GPL-2+ (Debian plasma-workspace-wallpapers). Model: MIT',
  attribution_summary: `${title}, ${artist}, ${year} (public domain); trained on photos from KDE's plasma-workspace-wallpapers (GPL-2+) by Pix2Pix Studio`,
}, null, 2));
