/**
 * A localisation head learned from boxes, and its learning curve: the pointing game on held-out
 * boxed images after 0, 25, 50 and all the training boxes, beside the shipped heatmap (the predicted
 * class's CAM) and the always-centre baseline, on the same held-out images.
 *
 *   npx tsx bench/localisation-head.ts [--model models/rovlens-default.onnx] [--data <shared data>] [--seeds 5] [--test-fraction 0.35]
 *
 * The head: one logistic unit on the backbone's last feature map (1280 values per cell of the 7x7
 * grid, standardised), trained on every cell of the training images, a cell positive when its centre
 * lies inside the element's box; class-weighted (positive cells are few). Its map is the unit's logit
 * per cell, localised as the pipeline localises a CAM (the same peak). 1281 numbers: 5 KB, one dot
 * product per cell.
 * Split: by the manifest's groups (near-duplicates never straddle), --test-fraction of the boxed images
 * held out; each subset size is drawn --seeds times from the training images (different draws), and
 * the split itself is redrawn with each seed. Prints the mean and the range over seeds.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parse } from 'csv-parse/sync';
import { classMap } from '../src/explain/cam.js';
import { localiseMap } from '../src/explain/localise.js';
import { addOutput, findPoolingHead, withCamOutputs } from '../src/model-building/add-cam-outputs.js';
import { readModel, writeModel } from '../src/model-building/onnx-graph.js';
import { loadModelCard } from '../src/model/card.js';
import { headPrediction } from '../src/model/predict.js';
import { framesToTensor } from '../src/model/preprocess.js';
import { ModelSession } from '../src/model/session.js';
import { seededRandom, shuffle } from '../src/random.js';
import { readImageFrame } from '../src/sources/images.js';
import { applyHead, balancedClassWeights, trainSoftmax } from '../src/training/softmax-regression.js';
import type { Rect } from '../src/types.js';

const { values: args } = parseArgs({
  options: {
    model: { type: 'string', default: 'models/rovlens-default.onnx' },
    data: { type: 'string', default: process.env.ROVLENS_DATA ?? resolve(import.meta.dirname, '../../shared/data') },
    seeds: { type: 'string', default: '5' },
    'test-fraction': { type: 'string', default: '0.35' },
  },
});
const data = args.data!;
if (!existsSync(join(data, 'boxes.csv'))) {
  process.stderr.write(`bench/localisation-head: no boxes.csv in ${data} (pass --data <folder>)\n`);
  process.exit(3);
}
type Row = Record<string, string>;
const boxes = parse(readFileSync(join(data, 'boxes.csv')), { columns: true, skip_empty_lines: true }) as Row[];
const manifest = parse(readFileSync(join(data, 'manifest.csv')), { columns: true, skip_empty_lines: true }) as Row[];
const groupOf = new Map(manifest.map((r) => [r.path!, r.group || r.id!]));

const edit = withCamOutputs(args.model!);
const { card } = loadModelCard(edit.cardPath);
const elementSpec = card.heads.element!;
const graph = readModel(edit.modelPath);
const pooling = findPoolingHead(graph, elementSpec.logits);
if ('reason' in pooling || pooling.layout === 'NHWC') throw new Error(`no NCHW pooled feature map found for ${args.model}`);
addOutput(graph, pooling.features);
const dir = mkdtempSync(join(tmpdir(), 'rovlens-bench-lochead-'));
writeModel(join(dir, 'model.onnx'), graph);
writeFileSync(join(dir, 'model.card.json'), JSON.stringify({ ...card, file: 'model.onnx' }));
const model = await ModelSession.open(join(dir, 'model.onnx'), { notice: () => undefined });
const size = { width: card.input.width, height: card.input.height };

interface Item {
  group: string;
  single: boolean;
  box: { x0: number; y0: number; x1: number; y1: number };
  /** Source size and the crop region the maps cover. */
  W: number;
  H: number;
  region: Rect;
  /** Cells of the feature map, row-major, each `channels` values. */
  cells: Float32Array;
  labels: number[];
  gw: number;
  gh: number;
  predictedCam: Float32Array;
}
const items: Item[] = [];
let channels = 0;
for (const [n, row] of boxes.entries()) {
  const frame = await readImageFrame(join(data, row.path!), n, { crop: card.crop, outputSize: size });
  const { width: W, height: H } = frame.sourceSize;
  const box = { x0: Number(row.x0), y0: Number(row.y0), x1: Number(row.x1), y1: Number(row.y1) };
  const { data: input, dims } = framesToTensor([frame], card);
  const out = await model.run(input, dims, [elementSpec.logits, elementSpec.cam!, pooling.features]);
  const prediction = headPrediction(out[elementSpec.logits]!.data, elementSpec.labels, 0);
  const cam = out[elementSpec.cam!]!;
  const [, classes, gh, gw] = cam.dims as [number, number, number, number];
  const predictedCam = classMap({ classes, height: gh, width: gw, data: cam.data, method: 'gradcam' }, prediction.topIndex);
  const features = out[pooling.features]!;
  const [, k] = features.dims as [number, number, number, number];
  channels = k;
  // NCHW -> one row of k values per cell.
  const cells = new Float32Array(gw * gh * k);
  for (let ch = 0; ch < k; ch++) for (let i = 0; i < gw * gh; i++) cells[i * k + ch] = features.data[ch * gw * gh + i]!;
  const labels: number[] = [];
  for (let j = 0; j < gh; j++) {
    for (let i = 0; i < gw; i++) {
      const u = (frame.region.x + ((i + 0.5) / gw) * frame.region.width) / W;
      const v = (frame.region.y + ((j + 0.5) / gh) * frame.region.height) / H;
      labels.push(u >= box.x0 && u <= box.x1 && v >= box.y0 && v <= box.y1 ? 1 : 0);
    }
  }
  const single = !/of several/i.test(row.note ?? '') && (box.x1 - box.x0) * (box.y1 - box.y0) < 0.3;
  items.push({ group: groupOf.get(row.path!) ?? row.id!, single, box, W, H, region: frame.region, cells, labels, gw, gh, predictedCam });
}
await model.close();

const hit = (item: Item, map: Float32Array) => {
  const l = localiseMap(map, item.gw, item.gh, item.region, { threshold: 0.5 });
  const u = l.peak.x / item.W;
  const v = l.peak.y / item.H;
  return u >= item.box.x0 && u <= item.box.x1 && v >= item.box.y0 && v <= item.box.y1;
};
const centreHit = (item: Item) => item.box.x0 <= 0.5 && item.box.x1 >= 0.5 && item.box.y0 <= 0.5 && item.box.y1 >= 0.5;

function trainHead(train: Item[]) {
  const rows = train.reduce((a, t) => a + t.labels.length, 0);
  const x = new Float32Array(rows * channels);
  const y: number[] = [];
  let r = 0;
  for (const t of train) {
    x.set(t.cells, r * channels);
    r += t.labels.length;
    y.push(...t.labels);
  }
  const { head } = trainSoftmax(x, y, 2, { epochs: 200, learningRate: 0.01, l2: 0.3, classWeights: balancedClassWeights(y, 2) });
  return (item: Item) => {
    const logits = applyHead(head, item.cells);
    // The positive class's margin per cell: its map.
    return Float32Array.from({ length: item.labels.length }, (_, i) => logits[i * 2 + 1]! - logits[i * 2]!);
  };
}

const SIZES = [0, 25, 50, Infinity];
const seeds = Number(args.seeds);
type Cell = { all: number[]; single: number[] };
const table = new Map<string, Cell>();
const add = (key: string, all: number, single: number) => {
  const c = table.get(key) ?? { all: [], single: [] };
  c.all.push(all);
  c.single.push(single);
  table.set(key, c);
};
let testSizes: number[] = [];
let trainSizes: number[] = [];
for (let seed = 1; seed <= seeds; seed++) {
  const random = seededRandom(seed);
  const groups = shuffle([...new Set(items.map((i) => i.group))], random);
  const test: Item[] = [];
  const testGroups = new Set<string>();
  for (const g of groups) {
    if (test.length >= Number(args['test-fraction']) * items.length) break;
    testGroups.add(g);
    test.push(...items.filter((i) => i.group === g));
  }
  const train = shuffle(
    items.filter((i) => !testGroups.has(i.group)),
    random,
  );
  testSizes.push(test.length);
  trainSizes.push(train.length);
  const single = test.filter((t) => t.single);
  const score = (map: (t: Item) => boolean) => [test.filter(map).length / test.length, single.filter(map).length / Math.max(1, single.length)] as const;
  add('centre baseline', ...score(centreHit));
  add('shipped heatmap (predicted-class CAM)', ...score((t) => hit(t, t.predictedCam)));
  for (const n of SIZES) {
    if (n === 0) {
      // No boxes: no head to speak of; what a user gets is the shipped heatmap (or the centre).
      continue;
    }
    const subset = train.slice(0, Math.min(n, train.length));
    const head = trainHead(subset);
    add(`head from ${Number.isFinite(n) ? n : 'all'} boxes`, ...score((t) => hit(t, head(t))));
  }
}
const pct = (xs: number[]) => {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  return `${(100 * mean).toFixed(1)} (${(100 * Math.min(...xs)).toFixed(0)}-${(100 * Math.max(...xs)).toFixed(0)})`;
};
console.log(
  `model ${args.model}; ${items.length} boxed images; ${seeds} group splits, held out ${Math.min(...testSizes)}-${Math.max(...testSizes)} images (training pool ${Math.min(...trainSizes)}-${Math.max(...trainSizes)}); pointing game %, mean (range) over splits`,
);
console.log('| map | held-out images point % | of those, single and < 30 % |');
console.log('|---|---|---|');
for (const [key, c] of table) console.log(`| ${key} | ${pct(c.all)} | ${pct(c.single)} |`);
console.log('0 boxes: no learned head; the shipped heatmap and the centre baseline are what a user gets.');
