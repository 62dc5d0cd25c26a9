/**
 * Writes a copy of a model whose graph standardises each input picture per channel and maps it to
 * reference statistics before the backbone (src/model-building/input-normalisation.ts), for fine-tuning with
 * models/scripts/finetune.py. The reference is the average per-picture mean and spread of the fit
 * images that finetune-prepare.ts wrote (clean crops at the input size), so a typical picture passes
 * nearly unchanged and the pretrained weights start close to where they were.
 *
 * Usage: npx tsx models/scripts/add-normalisation.ts --model <probe.onnx> [--prepared models/build/finetune-data]
 *          --out models/build/<name>-normalised.onnx
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { channelAffine, loadModelCard } from '../../src/model/card.js';
import { addInputNormalisation, referenceStatistics } from '../../src/model-building/input-normalisation.js';
import { readModel, writeModel } from '../../src/model-building/onnx-graph.js';

const PACKAGE_ROOT = resolve(import.meta.dirname, '..', '..');
const { values } = parseArgs({
  options: {
    model: { type: 'string' },
    prepared: { type: 'string', default: join(PACKAGE_ROOT, 'models', 'build', 'finetune-data') },
    out: { type: 'string' },
  },
});
if (!values.model || !values.out) {
  process.stderr.write('usage: add-normalisation.ts --model <model.onnx> --out <model.onnx> [--prepared <folder>]\n');
  process.exit(2);
}
const { card, modelPath } = loadModelCard(values.model);
const index = JSON.parse(readFileSync(join(values.prepared!, 'index.json'), 'utf8')) as {
  size: { width: number; height: number };
  images: { roles: Record<string, string> }[];
};
const { width, height } = index.size;
const clean = readFileSync(join(values.prepared!, 'clean.u8'));
const fit = index.images.map((im, i) => [im, i] as const).filter(([im]) => Object.values(im.roles).every((r) => r === 'fit'));
const plane = width * height;
const { scale, offset } = channelAffine(card);
const from = card.input.channelOrder === 'RGB' ? [0, 1, 2] : [2, 1, 0];
const pictures = new Float32Array(fit.length * 3 * plane);
fit.forEach(([, i], n) => {
  const base = i * plane * 3;
  for (let c = 0; c < 3; c++)
    for (let p = 0; p < plane; p++) pictures[(n * 3 + c) * plane + p] = clean[base + p * 3 + from[c]!]! * scale[c]! + offset[c]!;
});
const reference = referenceStatistics(pictures, fit.length, height, width);
const model = readModel(modelPath);
addInputNormalisation(model, card.input.name, reference);
writeModel(values.out, model);
const round = (v: number) => Number(v.toFixed(5));
const outCard = {
  ...card,
  name: basename(values.out).replace(/\.onnx$/, ''),
  file: basename(values.out),
  provenance: {
    ...card.provenance,
    inputNormalisation: {
      what: 'inside the graph, each picture is standardised per channel (its own mean and standard deviation) and mapped to the reference statistics: exposure, contrast and colour cast are evened out before the backbone',
      referenceMean: reference.mean.map(round),
      referenceStd: reference.std.map(round),
      computedOn: `the ${fit.length} fit images of the fine-tuning data (clean crops at ${width}x${height}), in input units`,
    },
  },
};
writeFileSync(values.out.replace(/\.onnx$/, '.card.json'), `${JSON.stringify(outCard, null, 2)}\n`);
process.stdout.write(
  `wrote ${values.out}: reference mean ${reference.mean.map((v) => v.toFixed(3)).join(' ')}, std ${reference.std.map((v) => v.toFixed(3)).join(' ')} from ${fit.length} fit images\n`,
);
