/**
 * Data for models/scripts/finetune.py, cut by rovlens itself so that Python trains on exactly what
 * `rovlens train` and `rovlens evaluate` see:
 * - the same labelled images (none/unsure skipped) and the same group split per head (headSplits,
 *   seed and validation fraction from trainingOptionsSchema), plus a selection split inside the
 *   training groups (groupSplit with seed + 1, as model:select does) for choosing the epoch count;
 * - each image's card crop resized by sharp to the input size (clean, for scoring) and to a larger
 *   side (for the random crops of augmentation), as raw RGB uint8 HWC;
 * - the same larger crop cut from the whole source picture after JPEG re-compression at a seeded
 *   quality of 10-40 (degraded.u8): codec damage at the source's own scale, as a recording or
 *   `rovlens evaluate --robustness` applies it, which JPEG on the small crop alone does not imitate.
 *
 * Usage: npx tsx models/scripts/finetune-prepare.ts [--model models/rovlens-default.onnx]
 *          [--data ../shared/data/manifest.csv] [--out models/build/finetune-data] [--augment-side-px 256]
 * Writes <out>/index.json, <out>/clean.u8 (N x size x size x 3), <out>/augment.u8 and <out>/degraded.u8
 * (N x side x side x 3 each).
 */
import { createWriteStream, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadModelCard } from '../../src/model/card.js';
import { trainingOptionsSchema } from '../../src/config/training.js';
import { loadDataset } from '../../src/training/dataset.js';
import { headLabels } from '../../src/training/heads.js';
import { groupSplit } from '../../src/training/split.js';
import { headSplits } from '../../src/training/train-heads.js';
import { cropAndResize, decodeImage, rawSharp, toRaw } from '../../src/training/image-input.js';
import { relativeCenterCrop } from '../../src/geometry.js';
import { hashSeed, seededRandom, uniform } from '../../src/random.js';
import sharp from 'sharp';

const PACKAGE_ROOT = resolve(import.meta.dirname, '..', '..');
const { values } = parseArgs({
  options: {
    model: { type: 'string', default: join(PACKAGE_ROOT, 'models', 'rovlens-default.onnx') },
    data: { type: 'string', default: join(process.env.ROVLENS_DATA ?? resolve(PACKAGE_ROOT, '../shared/data'), 'manifest.csv') },
    out: { type: 'string', default: join(PACKAGE_ROOT, 'models', 'build', 'finetune-data') },
    'augment-side-px': { type: 'string', default: '256' },
  },
});

const { card } = loadModelCard(values.model!);
const options = trainingOptionsSchema.parse({});
const heads = Object.keys(card.heads);
const images = loadDataset(values.data!, headLabels(card, heads)).images;
const splits = headSplits(images, card, heads, options);

// role[head][image]: 'fit' | 'selection' | 'validation'; absent when the image has no label for the head.
const roles: Record<string, string>[] = images.map(() => ({}));
const labelsOf: Record<string, number>[] = images.map(() => ({}));
for (const s of splits) {
  s.members.forEach((image, m) => (labelsOf[image]![s.head] = s.y[m]!));
  for (const v of s.validation) roles[s.members[v]!]![s.head] = 'validation';
  const trainY = s.train.map((t) => s.y[t]!);
  const trainGroups = s.train.map((t) => images[s.members[t]!]!.group!);
  const inner = groupSplit(trainY, trainGroups, options.validationFraction, options.seed + 1);
  for (const j of inner.train) roles[s.members[s.train[j]!]!]![s.head] = 'fit';
  for (const j of inner.validation) roles[s.members[s.train[j]!]!]![s.head] = 'selection';
}

const size = { width: card.input.width, height: card.input.height };
const side = Number(values['augment-side-px']);
mkdirSync(values.out!, { recursive: true });
const clean = createWriteStream(join(values.out!, 'clean.u8'));
const augment = createWriteStream(join(values.out!, 'augment.u8'));
const degraded = createWriteStream(join(values.out!, 'degraded.u8'));
const write = (stream: ReturnType<typeof createWriteStream>, data: Uint8Array) =>
  new Promise<void>((done) => (stream.write(data) ? done() : stream.once('drain', done)));

const index: { id: string; source?: string; labels: Record<string, number>; roles: Record<string, string> }[] = [];
for (const [i, image] of images.entries()) {
  if (!Object.keys(labelsOf[i]!).length) continue;
  const raw = await decodeImage(image.path);
  const region = relativeCenterCrop({ width: raw.width, height: raw.height }, card.crop);
  await write(clean, (await cropAndResize(raw, region, size)).pixels);
  await write(augment, (await cropAndResize(raw, region, { width: side, height: side })).pixels);
  const quality = Math.round(uniform(seededRandom(hashSeed(image.id, options.seed)), 10, 40));
  const jpeg = await toRaw(sharp(await rawSharp(raw).jpeg({ quality }).toBuffer()));
  await write(degraded, (await cropAndResize(jpeg, region, { width: side, height: side })).pixels);
  index.push({ id: image.id, ...(image.source ? { source: image.source } : {}), labels: labelsOf[i]!, roles: roles[i]! });
  if (index.length % 100 === 0) process.stderr.write(`${index.length} images\n`);
}
await Promise.all([clean, augment, degraded].map((s) => new Promise((done) => s.end(done))));
const { writeFileSync } = await import('node:fs');
writeFileSync(
  join(values.out!, 'index.json'),
  JSON.stringify({
    heads: Object.fromEntries(heads.map((h) => [h, card.heads[h]!.labels])),
    size,
    augmentSidePx: side,
    options,
    images: index,
  }),
);
const count = (head: string, role: string) => index.filter((x) => x.roles[head] === role).length;
for (const head of heads)
  process.stdout.write(
    `${head}: fit ${count(head, 'fit')}, selection ${count(head, 'selection')}, validation ${count(head, 'validation')}\n`,
  );
process.stdout.write(`wrote ${index.length} images to ${values.out}\n`);
