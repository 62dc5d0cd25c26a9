/**
 * Chooses the head settings of the default model without touching its validation split:
 * a second group split inside the training groups (the "selection" split) scores classification,
 * and the boxed images (boxes.csv) that lie in the training groups score localisation (pointing game
 * of the labelled-class CAM, computed as W . A from the backbone's feature map, exactly as the graph
 * does). The validation split and the boxed images in it are left for the final, single report.
 *
 *   npm run model:select                                         # the default candidate list
 *   npm run model:select -- --configs standardised:0.3,raw:0.03,floor1:0.3 --heads element
 *
 * A config is `<penalty>:<l2>`: penalty 'standardised', 'raw', or 'floor<f>' (standardised with the
 * per-channel scale floored at f x median sd). Embeddings come from the training cache (the same
 * views as `npm run model:train`), so only the heads are trained here. Prints a table, writes
 * models/build/select.json.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { parse } from 'csv-parse/sync';
import { augmentationSchema, trainingOptionsSchema } from '../../src/config/training.js';
import { RovlensError } from '../../src/errors.js';
import { localiseMap } from '../../src/explain/localise.js';
import { addOutput, findPoolingHead } from '../../src/model-building/add-cam-outputs.js';
import { readModel, writeModel } from '../../src/model-building/onnx-graph.js';
import { framesToTensor } from '../../src/model/preprocess.js';
import { ModelSession } from '../../src/model/session.js';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { readImageFrame } from '../../src/sources/images.js';
import { drawView } from '../../src/training/augment.js';
import { loadDataset } from '../../src/training/dataset.js';
import { runImages, type ModelInputItem } from '../../src/training/embed.js';
import { headLabels } from '../../src/training/heads.js';
import { table } from '../../src/training/report.js';
import { trainCellMax, type CellMaps } from '../../src/training/cell-max-regression.js';
import { applyHead, balancedClassWeights, trainSoftmax, type SoftmaxTrainOptions } from '../../src/training/softmax-regression.js';
import { groupSplit } from '../../src/training/split.js';
import { defaultCacheDir, headSplits } from '../../src/training/train-heads.js';
import type { Rect } from '../../src/types.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';

const { values } = parseArgs({
  options: {
    backbone: { type: 'string', default: 'mobilenet_v2' },
    data: { type: 'string' },
    'input-size-px': { type: 'string', default: '224' },
    views: { type: 'string', default: '10' },
    seed: { type: 'string', default: '1' },
    configs: { type: 'string', default: 'standardised:0.3,floor0.5:0.3,floor1:0.3,raw:0.003,raw:0.01,raw:0.03,raw:0.1' },
    heads: { type: 'string', default: 'element' },
  },
});

const dataDir = process.env.ROVLENS_DATA ?? resolve(PACKAGE_ROOT, '../shared/data');
const manifest = values.data ?? join(dataDir, 'manifest.csv');
const boxesCsv = join(dirname(manifest), 'boxes.csv');
const backbonePath = resolve(PACKAGE_ROOT, 'models', 'build', `${values.backbone}-backbone.onnx`);
if (!existsSync(backbonePath)) throw new RovlensError(`no backbone at ${backbonePath}: run \`npm run model:convert\` first`, 5);
const sizePx = Number(values['input-size-px']);
const options = trainingOptionsSchema.parse({ views: Number(values.views), seed: Number(values.seed), inputSizePx: sizePx });
const ranges = augmentationSchema.parse({});
const wantedHeads = values.heads!.split(',');

const model = await ModelSession.open(backbonePath);
const card = { ...model.card, input: { ...model.card.input, width: sizePx, height: sizePx } };
const images = loadDataset(manifest, headLabels(card, Object.keys(card.heads))).images;
const splits = headSplits(images, card, Object.keys(card.heads), options);

// The same items as trainHeads (clean + views of training images), so the embedding cache answers.
const inTraining = new Set(splits.flatMap((s) => s.train.map((t) => s.members[t]!)));
const items: ModelInputItem[] = [];
const itemsOf = new Map<number, number[]>();
images.forEach((image, i) => {
  const list = [items.length];
  items.push({ path: image.path, id: image.id });
  if (inTraining.has(i)) {
    for (let v = 0; v < options.views; v++) {
      list.push(items.length);
      items.push({ path: image.path, id: image.id, view: drawView(ranges, image.id, v, options.seed) });
    }
  }
  itemsOf.set(i, list);
});
const embeddingName = card.embedding!.output;
const d = card.embedding!.length;
const embeddings = (
  await runImages(model, items, [embeddingName], {
    batchSize: options.batchSize,
    card,
    cacheDir: defaultCacheDir(),
    onProgress: (done, total) => (done === total || done % 500 < 8 ? process.stderr.write(`embedding ${done}/${total}\n`) : undefined),
  })
)[embeddingName]!;
const rowsOf = (list: readonly number[]) => {
  const x = new Float32Array(list.length * d);
  list.forEach((item, r) => x.set(embeddings.subarray(item * d, (item + 1) * d), r * d));
  return x;
};

// Feature maps of the boxed images, from the backbone with its feature tensor as an extra output.
interface Boxed {
  image: number;
  label: number;
  features: Float32Array;
  h: number;
  w: number;
  region: Rect;
  sourceSize: { width: number; height: number };
  box: { x0: number; y0: number; x1: number; y1: number };
  single: boolean;
}
const elementSpec = card.heads.element!;
const graph = readModel(backbonePath);
const pooling = findPoolingHead(graph, elementSpec.logits);
if ('reason' in pooling || pooling.layout !== 'NCHW') throw new RovlensError(`cannot find the NCHW feature map of ${backbonePath}`, 5);
addOutput(graph, pooling.features);
const dir = mkdtempSync(join(tmpdir(), 'rovlens-select-'));
writeModel(join(dir, 'model.onnx'), graph);
writeFileSync(join(dir, 'model.card.json'), JSON.stringify({ ...card, file: 'model.onnx' }));
const withFeatures = await ModelSession.open(join(dir, 'model.onnx'), { notice: () => undefined });
const byPath = new Map(images.map((im, i) => [im.path, i]));
const boxed: Boxed[] = [];
const boxRows = existsSync(boxesCsv)
  ? (parse(readFileSync(boxesCsv), { columns: true, skip_empty_lines: true }) as Record<string, string>[])
  : [];
for (const [n, row] of boxRows.entries()) {
  const path = resolve(dirname(boxesCsv), row.path!);
  const image = byPath.get(path);
  const label = elementSpec.labels.indexOf(row.element!);
  if (image === undefined || label < 0) continue;
  const frame = await readImageFrame(path, n, { crop: card.crop, outputSize: { width: sizePx, height: sizePx } });
  const { data, dims } = framesToTensor([frame], card);
  const out = (await withFeatures.run(data, dims, [pooling.features]))[pooling.features]!;
  const [, , h, w] = out.dims as [number, number, number, number];
  const box = { x0: Number(row.x0), y0: Number(row.y0), x1: Number(row.x1), y1: Number(row.y1) };
  const single = !/of several/i.test(row.note ?? '') && (box.x1 - box.x0) * (box.y1 - box.y0) < 0.3;
  boxed.push({
    image,
    label,
    features: Float32Array.from(out.data),
    h,
    w,
    region: frame.region,
    sourceSize: frame.sourceSize,
    box,
    single,
  });
}
await model.close();

/** Peak of W[c] . A inside the box, as bench/localisation.ts scores it. */
function pointingHit(weight: Float32Array, b: Boxed): boolean {
  const cells = b.h * b.w;
  const map = new Float32Array(cells);
  for (let k = 0; k < d; k++) {
    const wk = weight[b.label * d + k]!;
    if (wk === 0) continue;
    for (let i = 0; i < cells; i++) map[i]! += wk * b.features[k * cells + i]!;
  }
  const peak = localiseMap(map, b.w, b.h, b.region).peak;
  const u = peak.x / b.sourceSize.width;
  const v = peak.y / b.sourceSize.height;
  return u >= b.box.x0 && u <= b.box.x1 && v >= b.box.y0 && v <= b.box.y1;
}
function edgePeak(weight: Float32Array, b: Boxed): boolean {
  const cells = b.h * b.w;
  let best = -Infinity;
  let at = 0;
  for (let i = 0; i < cells; i++) {
    let s = 0;
    for (let k = 0; k < d; k++) s += weight[b.label * d + k]! * b.features[k * cells + i]!;
    if (s > best) ((best = s), (at = i));
  }
  const x = at % b.w;
  const y = Math.floor(at / b.w);
  return x === 0 || y === 0 || x === b.w - 1 || y === b.h - 1;
}

/** W[c,k] - min over classes of W[.,k]: every class row shifted by the same vector, all weights >= 0. */
function nonNegativeGauge(weight: Float32Array, classes: number): Float32Array {
  const out = Float32Array.from(weight);
  for (let k = 0; k < d; k++) {
    let min = Infinity;
    for (let c = 0; c < classes; c++) min = Math.min(min, weight[c * d + k]!);
    for (let c = 0; c < classes; c++) out[c * d + k] = weight[c * d + k]! - min;
  }
  return out;
}

/** Per class: images whose top logit is their true class, and images of the class. */
function classHits(logits: Float32Array, y: readonly number[], classes: number): { hits: Float64Array; counts: Float64Array } {
  const hits = new Float64Array(classes);
  const counts = new Float64Array(classes);
  y.forEach((t, i) => {
    const row = logits.subarray(i * classes, (i + 1) * classes);
    counts[t]!++;
    if (row.indexOf(Math.max(...row)) === t) hits[t]!++;
  });
  return { hits, counts };
}

function recalls(logits: Float32Array, y: readonly number[], classes: number): string {
  const { hits, counts } = classHits(logits, y, classes);
  return Array.from(counts, (n, c) => `${hits[c]}/${n}`).join(' ');
}

function balancedAccuracy(logits: Float32Array, y: readonly number[], classes: number): number {
  const { hits, counts } = classHits(logits, y, classes);
  let sum = 0;
  let present = 0;
  for (let c = 0; c < classes; c++) if (counts[c]) ((sum += hits[c]! / counts[c]!), present++);
  return sum / present;
}

function parseConfig(text: string): {
  name: string;
  options: Pick<SoftmaxTrainOptions, 'l2' | 'penalty' | 'sdFloorFraction'>;
  cellWeight?: number;
} {
  const [penalty, l2] = text.split(':');
  const cellMax = /^(raw)?cellmax([\d.]+)$/.exec(penalty!);
  if (cellMax)
    return { name: text, options: { l2: Number(l2), penalty: cellMax[1] ? 'raw' : 'standardised' }, cellWeight: Number(cellMax[2]) };
  const floor = /^floor([\d.]+)$/.exec(penalty!);
  if (floor) return { name: text, options: { l2: Number(l2), penalty: 'standardised', sdFloorFraction: Number(floor[1]) } };
  if (penalty !== 'standardised' && penalty !== 'raw')
    throw new RovlensError(`--configs: '${text}' is not <standardised|raw|floor<f>>:<l2>`, 2);
  return { name: text, options: { l2: Number(l2), penalty } };
}

const results: Record<string, unknown>[] = [];
for (const head of wantedHeads) {
  const s = splits.find((x) => x.head === head)!;
  const classes = card.heads[head]!.labels.length;
  // Selection split: a group split of the training part only (another seed).
  const trainY = s.train.map((t) => s.y[t]!);
  const trainGroups = s.train.map((t) => images[s.members[t]!]!.group!);
  const inner = groupSplit(trainY, trainGroups, options.validationFraction, options.seed + 1);
  const fitImages = inner.train.map((j) => s.members[s.train[j]!]!);
  const selImages = inner.validation.map((j) => s.members[s.train[j]!]!);
  const fitRows = fitImages.flatMap((i) => itemsOf.get(i)!);
  const fitY = fitImages.flatMap((i, r) => itemsOf.get(i)!.map(() => trainY[inner.train[r]!]!));
  const selX = rowsOf(selImages.map((i) => itemsOf.get(i)![0]!));
  const selY = inner.validation.map((j) => trainY[j]!);
  const validationSet = new Set(s.validation.map((v) => s.members[v]!));
  const boxedTrain = head === 'element' ? boxed.filter((b) => !validationSet.has(b.image)) : [];
  if (head === 'element') {
    // For bench/localisation.ts --subset-ids: the boxed images in the validation split.
    const ids = boxRows.filter((r) => validationSet.has(byPath.get(resolve(dirname(boxesCsv), r.path!)) ?? -1)).map((r) => r.id);
    writeFileSync(resolve(PACKAGE_ROOT, 'models', 'build', 'boxed-validation-ids.txt'), `${ids.join('\n')}\n`);
  }
  const centreHits = (list: Boxed[]) => list.filter((b) => b.box.x0 <= 0.5 && b.box.x1 >= 0.5 && b.box.y0 <= 0.5 && b.box.y1 >= 0.5).length;
  if (head === 'element') {
    const singles = boxedTrain.filter((b) => b.single);
    results.push({
      head,
      config: 'centre baseline',
      selectionBalancedAccuracy: NaN,
      pointingAll: centreHits(boxedTrain) / boxedTrain.length,
      pointingSingle: centreHits(singles) / singles.length,
      edgePeaks: 0,
      pointingAllNonNegative: NaN,
      pointingSingleNonNegative: NaN,
      maxAbsWeight: 0,
      seconds: 0,
    });
  }
  const classWeights = balancedClassWeights(fitY, classes);
  process.stderr.write(
    `${head}: fit ${fitImages.length} images (${fitRows.length} rows), selection ${selImages.length} (${card.heads[head]!.labels.join(' ')})${head === 'element' ? `, boxed in training groups ${boxedTrain.length} (single ${boxedTrain.filter((b) => b.single).length}), boxed in validation ${boxed.length - boxedTrain.length}` : ''}\n`,
  );
  const fitX = rowsOf(fitRows);
  // Feature maps of the clean fit images, only when a config needs them (cellmax).
  let cellMaps: CellMaps | undefined;
  if (values.configs!.includes('cellmax')) {
    const out = await runImages(
      withFeatures,
      fitImages.map((i) => ({ path: images[i]!.path, id: images[i]!.id })),
      [pooling.features],
      { batchSize: options.batchSize, card },
    );
    const all = out[pooling.features]!;
    const size = all.length / fitImages.length;
    cellMaps = {
      maps: fitImages.map((_, r) => all.subarray(r * size, (r + 1) * size)),
      labels: inner.train.map((j) => trainY[j]!),
      cells: size / d,
    };
    process.stderr.write(`feature maps: ${fitImages.length} x ${size / d} cells\n`);
  }
  for (const text of values.configs!.split(',')) {
    const { name, options: config, cellWeight } = parseConfig(text);
    const started = performance.now();
    const { head: trained } =
      cellWeight !== undefined
        ? trainCellMax(fitX, fitY, classes, cellMaps!, {
            epochs: options.epochs,
            learningRate: options.learningRate,
            classWeights,
            l2: config.l2,
            penalty: config.penalty!,
            cellWeight,
          })
        : trainSoftmax(fitX, fitY, classes, { epochs: options.epochs, learningRate: options.learningRate, classWeights, ...config });
    const seconds = (performance.now() - started) / 1000;
    const selLogits = applyHead(trained, selX);
    const acc = balancedAccuracy(selLogits, selY, classes);
    const rate = (list: Boxed[], f: (w: Float32Array, b: Boxed) => boolean, weight = trained.weight) =>
      list.length ? list.filter((b) => f(weight, b)).length / list.length : NaN;
    // The same head in another gauge: adding one vector to every class row changes no probability.
    const shifted = nonNegativeGauge(trained.weight, classes);
    const singles = boxedTrain.filter((b) => b.single);
    let maxW = 0;
    for (const x of trained.weight) maxW = Math.max(maxW, Math.abs(x));
    const row = {
      head,
      config: name,
      selectionBalancedAccuracy: acc,
      selectionRecalls: recalls(selLogits, selY, classes),
      pointingAll: rate(boxedTrain, pointingHit),
      pointingSingle: rate(singles, pointingHit),
      edgePeaks: rate(boxedTrain, edgePeak),
      pointingAllNonNegative: rate(boxedTrain, pointingHit, shifted),
      pointingSingleNonNegative: rate(singles, pointingHit, shifted),
      maxAbsWeight: maxW,
      seconds,
    };
    results.push(row);
    process.stderr.write(`${JSON.stringify(row)}\n`);
  }
}
await withFeatures.close();
const pct = (x: unknown) => (Number.isFinite(x) ? (100 * (x as number)).toFixed(1) : '-');
process.stdout.write(
  `${table(
    [
      'head',
      'config',
      'selection bal. acc %',
      'point % (boxed, training groups)',
      'point % single',
      'edge peaks %',
      'point % >=0 gauge',
      'single >=0 gauge',
      'max |W|',
    ],
    results.map((r) => [
      String(r.head),
      String(r.config),
      pct(r.selectionBalancedAccuracy),
      pct(r.pointingAll),
      pct(r.pointingSingle),
      pct(r.edgePeaks),
      pct(r.pointingAllNonNegative),
      pct(r.pointingSingleNonNegative),
      (r.maxAbsWeight as number).toFixed(3),
    ]),
  )}\n`,
);
writeFileSync(
  resolve(PACKAGE_ROOT, 'models', 'build', 'select.json'),
  `${JSON.stringify({ manifest: 'manifest.csv', boxes: 'boxes.csv', inputSizePx: sizePx, views: options.views, results }, null, 1)}\n`,
);
