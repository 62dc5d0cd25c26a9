/**
 * ONNX Runtime's answer for the first images of finetune-prepare's clean.u8, so that finetune.py can
 * check that its torch rebuild of the graph computes what the runtime computes (`--check`).
 *
 * Usage: npx tsx models/scripts/finetune-reference.ts [--model models/rovlens-default.onnx]
 *          [--prepared models/build/finetune-data] [--images 4]
 * Writes <prepared>/reference.json: { images, outputs: { name: { dims, data } } }.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ModelSession } from '../../src/model/session.js';

const PACKAGE_ROOT = resolve(import.meta.dirname, '..', '..');
const { values } = parseArgs({
  options: {
    model: { type: 'string', default: join(PACKAGE_ROOT, 'models', 'rovlens-default.onnx') },
    prepared: { type: 'string', default: join(PACKAGE_ROOT, 'models', 'build', 'finetune-data') },
    images: { type: 'string', default: '4' },
  },
});

const model = await ModelSession.open(values.model!);
const { width, height, scaling } = model.card.input;
if (!('scale' in scaling)) throw new Error('this check expects scale/offset scaling');
const n = Number(values.images);
const raw = readFileSync(join(values.prepared!, 'clean.u8')).subarray(0, n * width * height * 3);
// HWC uint8 -> NCHW float32 with the card's scaling.
const input = new Float32Array(n * 3 * width * height);
const scale = (c: number) => (Array.isArray(scaling.scale) ? scaling.scale[c]! : (scaling.scale as number));
const offset = (c: number) => (Array.isArray(scaling.offset) ? scaling.offset[c]! : (scaling.offset as number));
for (let i = 0; i < n; i++)
  for (let c = 0; c < 3; c++)
    for (let p = 0; p < width * height; p++)
      input[(i * 3 + c) * width * height + p] = raw[(i * width * height + p) * 3 + c]! * scale(c) + offset(c);
const out = await model.run(input, [n, 3, height, width]);
await model.close();
writeFileSync(
  join(values.prepared!, 'reference.json'),
  JSON.stringify({ images: n, outputs: Object.fromEntries(Object.entries(out).map(([k, v]) => [k, { dims: v.dims, data: [...v.data] }])) }),
);
process.stdout.write(`wrote ONNX Runtime outputs for ${n} images (${Object.keys(out).join(', ')})\n`);
