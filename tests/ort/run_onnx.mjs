// Runs an ONNX model in onnxruntime-node (CPU) on one .npy input and writes its first output as .npy.
// Usage: node run_onnx.mjs model.onnx input.npy output.npy [--again output2.npy]
//   --again: run the same session a second time and write that output too (dropout noise checks).
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const ort = createRequire(join(root, 'package.json'))('onnxruntime-node');

function readNpy(path) {
  const b = readFileSync(path);
  if (b.toString('latin1', 0, 6) !== '\x93NUMPY') throw new Error(`${path}: not a .npy file`);
  const major = b[6];
  const headerLen = major === 1 ? b.readUInt16LE(8) : b.readUInt32LE(8);
  const start = (major === 1 ? 10 : 12) + headerLen;
  const header = b.toString('latin1', major === 1 ? 10 : 12, start);
  if (!header.includes("'descr': '<f4'") || header.includes("'fortran_order': True"))
    throw new Error(`${path}: only little-endian float32 in C order (${header.trim()})`);
  const dims = header.match(/'shape': \(([^)]*)\)/)[1].split(',').map(s => s.trim()).filter(s => s).map(Number);
  const n = dims.reduce((a, d) => a * d, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = b.readFloatLE(start + 4 * i);
  return { dims, data };
}

function writeNpy(path, dims, data) {
  const shape = dims.length === 1 ? `(${dims[0]},)` : `(${dims.join(', ')})`;
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shape}, }`;
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';  // total header a multiple of 64
  const head = Buffer.alloc(10);
  Buffer.from('\x93NUMPY', 'latin1').copy(head);
  head[6] = 1, head[7] = 0;
  head.writeUInt16LE(header.length, 8);
  const body = Buffer.alloc(4 * data.length);
  for (let i = 0; i < data.length; i++) body.writeFloatLE(data[i], 4 * i);
  writeFileSync(path, Buffer.concat([head, Buffer.from(header, 'latin1'), body]));
}

const args = process.argv.slice(2);
const again = args.indexOf('--again');
const [modelPath, inputPath, outputPath] = args;
if (!outputPath) {
  console.error('usage: node run_onnx.mjs model.onnx input.npy output.npy [--again output2.npy]');
  process.exit(2);
}
try {
  const session = await ort.InferenceSession.create(modelPath, { executionProviders: ['cpu'] });
  const x = readNpy(inputPath);
  const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', x.data, x.dims) };
  const run = async (path) => {
    const y = (await session.run(feeds))[session.outputNames[0]];
    writeNpy(path, y.dims, y.data);
  };
  await run(outputPath);
  if (again >= 0) await run(args[again + 1]);
} catch (e) {
  console.error(`run_onnx: ${e.message.split('\n')[0]}`);
  process.exit(1);
}
