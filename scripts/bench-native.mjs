// Inference speed of the native program (pix2pix run: LibTorch, CPU) next to onnxruntime-node on the same
// network, weights and machine, as a ratio: the baseline is a tuned CPU runtime, measured in the same run.
// usage: node scripts/bench-native.mjs [--net unet_256] [--ngf 64] [--runs 10]
//   Median of the runs after a warm-up; both use their default thread count (the machine's cores).
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';

import { ROOT, makeBundle, nodeLatency, onnxOfBundle, removeDir, tempDir } from '../tests/browser/harness.mjs';

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}
const net = option('net', 'unet_256'), ngf = Number(option('ngf', 64)), runs = Number(option('runs', 10));
const size = Number(net.split('_')[1]) || 256;
const work = tempDir('p2p-bench-native-');
try {
  const bundle = path.join(work, 'bundle');
  makeBundle(bundle, { net, ngf, size, seed: 1 });
  const base = await nodeLatency(onnxOfBundle(bundle), 3, size, size, runs);

  // The same input as nodeLatency's, as a .npy for pix2pix run.
  const n = 3 * size * size, header = `{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3, ${size}, ${size}), }`;
  const padded = header.padEnd(Math.ceil((header.length + 11) / 64) * 64 - 11) + '\n';
  const data = Buffer.alloc(n * 4);
  for (let i = 0; i < n; i++) data.writeFloatLE(Math.sin(i), i * 4);
  const prefix = Buffer.from([0x93, ...Buffer.from('NUMPY'), 1, 0, padded.length & 255, padded.length >> 8]);
  writeFileSync(path.join(work, 'x.npy'), Buffer.concat([prefix, Buffer.from(padded, 'latin1'), data]));
  const out = execFileSync(path.join(ROOT, 'build', 'bin', 'pix2pix'), ['run', '--model', path.join(bundle, 'weights.safetensors'),
    '--input', path.join(work, 'x.npy'), '--output', path.join(work, 'y.npy'), '--device', 'cpu', '--repeat', String(runs)],
  { encoding: 'utf8' });
  const libtorch = Number(/([\d.]+) ms per pass/.exec(out)[1]);

  console.log(`${net} ngf ${ngf}, batch 1, ${size}x${size}, each image's own batch statistics (the page's and test's mode)`);
  console.log(`${'runtime'.padEnd(34)} ${'ms/image'.padStart(9)}  ratio to onnxruntime-node`);
  console.log(`${'onnxruntime-node (CPU)'.padEnd(34)} ${base.toFixed(1).padStart(9)}  1.00`);
  console.log(`${'pix2pix run (LibTorch, CPU)'.padEnd(34)} ${libtorch.toFixed(1).padStart(9)}  ${(libtorch / base).toFixed(2)}`);
} finally {
  removeDir(work);
}
