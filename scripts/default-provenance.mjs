// What model.json records about the default sketch model beyond the checkpoint's own metadata (used by
// scripts/train-defaults): the dataset, how it was trained and tested, and the L1-only model it is compared with.
//   node scripts/default-provenance.mjs DATA_DIR SETUP_TEXT TEST_PROTOCOL   -> provenance JSON on stdout
//   node scripts/default-provenance.mjs --table MODEL_JSON    -> the README's metrics table (markdown)
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const readJson = (file) => JSON.parse(readFileSync(file, 'utf8'));

function checkpointMetadata(run) {
  const file = path.join(ROOT, 'runs', run, 'checkpoints', 'latest_net_G.safetensors');
  const bytes = readFileSync(file);
  const headerLength = Number(bytes.readBigUInt64LE(0));
  return JSON.parse(bytes.toString('utf8', 8, 8 + headerLength)).__metadata__ || {};
}

// Training time from the log: each logged window's images over its rate.
function secondsFromLog(run) {
  let seconds = 0, last = 0;
  for (const line of readFileSync(path.join(ROOT, 'runs', run, 'log.jsonl'), 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const r = JSON.parse(line);
    if (r.total_iters < last) last = 0;  // a restarted run
    if (r.images_per_sec > 0) seconds += (r.total_iters - last) / r.images_per_sec;
    last = r.total_iters;
  }
  return Math.round(seconds);
}

function trainingRecord(run) {
  const meta = checkpointMetadata(run);
  const record = { run, epochs: Number(meta.epochs), images_seen: Number(meta.total_iters) };
  // A run begun before the trainer kept time counts only from its resume: the log then covers more.
  const counted = Number(meta.train_seconds || 0), logged = secondsFromLog(run);
  record.train_seconds = Math.max(counted, logged);
  if (logged > 1.1 * counted) record.train_seconds_from = 'log.jsonl';
  return record;
}

function testMetrics(run) {
  return readJson(path.join(ROOT, 'results', run, 'test_latest', 'metrics.json')).summary;
}

function provenance(dataDir, setup, protocol) {
  const pairs = {};
  for (const split of ['train', 'val', 'test'])
    pairs[split] = readdirSync(path.join(dataDir, split)).filter((f) => f.endsWith('.png')).length;
  const version = (pkg) => readJson(path.join(ROOT, 'node_modules', pkg, 'package.json')).version;
  const noto = readdirSync(path.join(dataDir, 'train')).some((f) => f.startsWith('noto-'));
  const main = trainingRecord('edges2emoji');
  const out = {
    dataset_details: {
      name: path.basename(dataDir),
      source: `Twemoji ${version('@twemoji/svg')} (npm @twemoji/svg)` +
              (noto ? ` and Noto Emoji (npm @svgmoji/noto ${version('@svgmoji/noto')}, files noto-*)` : '') +
              ' rendered at 256x256 on white; A: pix2pix edges of B',
      license: noto ? 'CC-BY-4.0 (Twemoji), Apache-2.0 (Noto Emoji)' : 'CC-BY-4.0',
      split: 'by emoji (its skin-tone variants and its pictures in both sets together), 80/10/10 by hash; flags and keycaps left out; ' +
             'one colour per line drawing (scripts/datasets/drop-recoloured.mjs: of a drawing in several colours the lowest code point stays)',
      pairs,
    },
    training_setup: setup,
    test_protocol: protocol,
    l1_only_baseline: { ...trainingRecord('edges2emoji_l1'), test_metrics: testMetrics('edges2emoji_l1') },
  };
  if (main.train_seconds_from) out.train_seconds = main.train_seconds, out.train_seconds_from = main.train_seconds_from;
  return out;
}

function table(modelJson) {
  const p = readJson(modelJson).provenance;
  const row = (label, m) => {
    const lab = m.lab_intersection_set;
    return `| ${label} | ${m.l1.toFixed(4)} | ${m.ssim.toFixed(4)} | ${m.psnr.toFixed(2)} | ` +
           `${lab.L.toFixed(3)} / ${lab.a.toFixed(3)} / ${lab.b.toFixed(3)} |`;
  };
  return [`Test split (${p.test_metrics.count} pairs), ${p.test_protocol}; ${p.epochs} epochs (L1 + cGAN), ` +
          `${p.l1_only_baseline.epochs} (L1 only)`,
          '',
          '| model (unet_256, ngf 16) | L1 | SSIM | PSNR (dB) | Lab histogram intersection L / a / b |',
          '|---|---|---|---|---|',
          row('L1 + cGAN (the default)', p.test_metrics),
          row('L1 only', p.l1_only_baseline.test_metrics)].join('\n');
}

const args = process.argv.slice(2);
try {
  if (args[0] === '--table' && args.length === 2) console.log(table(args[1]));
  else if (args.length === 3 && existsSync(args[0])) console.log(JSON.stringify(provenance(args[0], args[1], args[2]), null, 2));
  else throw new Error('usage: default-provenance.mjs DATA_DIR SETUP_TEXT TEST_PROTOCOL | --table MODEL_JSON');
} catch (e) {
  console.error(`default-provenance: ${e.message.split('\n')[0]}`);
  process.exit(1);
}
