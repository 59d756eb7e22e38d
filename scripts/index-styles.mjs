// Lists style bundles in the page's model index (used by scripts/train-styles): for each web/models/style-<name>
// folder given, an entry with task "style" built from its model.json (name, painting, size, licence,
// attribution), added or replaced in web/models/index.json; the other entries stay as they are.
//   node scripts/index-styles.mjs STYLE...
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const modelsDir = path.join(ROOT, 'web', 'models');
const indexFile = path.join(modelsDir, 'index.json');
const index = JSON.parse(readFileSync(indexFile, 'utf8'));
for (const style of process.argv.slice(2)) {
  const id = `style-${style}`;
  const manifest = JSON.parse(readFileSync(path.join(modelsDir, id, 'model.json'), 'utf8'));
  const p = manifest.provenance || {};
  const painting = p.painting || {};
  const bytes = statSync(path.join(modelsDir, id, manifest.weights.file)).size;
  const entry = {
    id, name: `${painting.title || style} (${painting.artist || 'style'})`, path: id, task: 'style',
    description: `A fast style network (transformer ngf ${manifest.model.ngf}) trained by Pix2Pix Studio on ${painting.title}, ` +
      `${painting.artist}, ${painting.year}, with a random loss network (${p.loss_network})`,
    megabytes: Math.round(bytes / 1e5) / 10,
    license: manifest.license, attribution: manifest.attribution,
  };
  const at = index.models.findIndex((m) => m.id === id);
  if (at >= 0) index.models[at] = entry; else index.models.push(entry);
}
writeFileSync(indexFile, JSON.stringify(index, null, 2) + '\n');
console.log(`index-styles: ${index.models.length} models in ${path.relative(ROOT, indexFile)}`);
