/**
 * How well the heatmaps point at the main element, on any model: the development images with rough
 * boxes around their main element (boxes.csv beside the shared data's manifest).
 *
 *   npx tsx bench/localisation.ts [--model models/rovlens-default.onnx] [--data <shared data folder>] [--json out.json]
 *     [--subset-ids ids.txt]   also score the boxed images whose id is listed (e.g. those in the validation split)
 *     [--fallbacks] [--score-cam-channels 64] [--occlusion-cells 6]   also score the gradient-free maps
 *
 * Maps compared (each image goes through the model's centre crop and input size, as in the pipeline):
 *   labelled   the CAM of the boxed element class (the usual pointing-game protocol)
 *   predicted  the CAM of the class the model predicts (what `annotate` shows by default)
 *   activation the mean feature activation over channels: class-agnostic, needs no trained head
 *   score-cam  (--fallbacks) Score-CAM of the labelled class, as the fallback computes it
 *   occlusion  (--fallbacks) occlusion map of the labelled class, as the fallback computes it
 *   centre     baseline: always the centre of the image (for IoU: the whole crop region as the mask)
 * Pointing game: the map's peak falls inside the box. IoU: the mask (heat >= threshold x max), and
 * the largest box, against the labelled box, on a 200x200 grid over the whole image. "empty %": maps
 * with no positive value (an untrained head): their peak is meaningless. "edge %": peaks on the map's
 * outer ring of cells, where padding artefacts of the backbone live (the ring is 4(n-1)/n^2 of the cells).
 * Subsets: all boxes; "single, < 30 %": one instance boxed (no "of several" note) covering under 30 %
 * of the image, the target set.
 */
import { readFileSync, mkdtempSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parse } from 'csv-parse/sync';
import { argmax, classMap, reluNormalise } from '../src/explain/cam.js';
import { localiseMap } from '../src/explain/localise.js';
import { addOutput, findPoolingHead, withCamOutputs } from '../src/model-building/add-cam-outputs.js';
import { loadModelCard } from '../src/model/card.js';
import { readModel, writeModel } from '../src/model-building/onnx-graph.js';
import { headPrediction } from '../src/model/predict.js';
import { framesToTensor } from '../src/model/preprocess.js';
import { ModelSession } from '../src/model/session.js';
import { readImageFrame } from '../src/sources/images.js';
import { occlusionCams } from '../src/explain/occlusion-cam.js';
import { scoreCams } from '../src/explain/score-cam.js';
import type { Rect } from '../src/types.js';

const { values: args } = parseArgs({
  options: {
    model: { type: 'string', default: 'models/rovlens-default.onnx' },
    data: { type: 'string', default: process.env.ROVLENS_DATA ?? resolve(import.meta.dirname, '../../shared/data') },
    threshold: { type: 'string', default: '0.5' },
    json: { type: 'string' },
    'subset-ids': { type: 'string' },
    fallbacks: { type: 'boolean', default: false },
    'score-cam-channels': { type: 'string', default: '64' },
    'occlusion-cells': { type: 'string', default: '6' },
  },
});
const threshold = Number(args.threshold);
const data = args.data!;
if (!existsSync(join(data, 'boxes.csv'))) {
  process.stderr.write(`bench/localisation: no boxes.csv in ${data} (pass --data <folder>)\n`);
  process.exit(3);
}

interface BoxRow {
  id: string;
  path: string;
  element: string;
  x0: string;
  y0: string;
  x1: string;
  y1: string;
  note: string;
}
const rows = parse(readFileSync(join(data, 'boxes.csv')), { columns: true, skip_empty_lines: true }) as BoxRow[];

// The model with CAM outputs (added when the graph allows) and its feature map as an extra output.
const edit = withCamOutputs(args.model!);
const { card } = loadModelCard(edit.cardPath);
const elementSpec = card.heads.element;
if (!elementSpec) throw new Error(`${args.model} has no 'element' head`);
const graph = readModel(edit.modelPath);
const head = findPoolingHead(graph, elementSpec.logits);
let featuresName: string | undefined;
let featuresNhwc = false;
if (!('reason' in head)) {
  featuresName = head.features;
  featuresNhwc = head.layout === 'NHWC';
  addOutput(graph, featuresName);
}
const dir = mkdtempSync(join(tmpdir(), 'rovlens-bench-loc-'));
writeModel(join(dir, 'model.onnx'), graph);
// Score-CAM masks with the pooled feature map: name it in the card as openWithCams would.
const benchCard = {
  ...card,
  file: 'model.onnx',
  heads: { ...card.heads, element: { ...elementSpec, ...(featuresName && !featuresNhwc ? { features: featuresName } : {}) } },
};
writeFileSync(join(dir, 'model.card.json'), JSON.stringify(benchCard));
const model = await ModelSession.open(join(dir, 'model.onnx'), { notice: () => undefined });
const size = { width: card.input.width, height: card.input.height };

/** Bilinear sample of a w x h map stretched over `region`, at source point (sx, sy); 0 outside. */
function sampleAt(map: Float32Array, w: number, h: number, region: Rect, sx: number, sy: number): number {
  if (sx < region.x || sy < region.y || sx >= region.x + region.width || sy >= region.y + region.height) return 0;
  const u = Math.min(Math.max(((sx - region.x) / region.width) * w - 0.5, 0), w - 1);
  const v = Math.min(Math.max(((sy - region.y) / region.height) * h - 0.5, 0), h - 1);
  const x0 = Math.floor(u);
  const y0 = Math.floor(v);
  const x1 = Math.min(x0 + 1, w - 1);
  const y1 = Math.min(y0 + 1, h - 1);
  const tx = u - x0;
  const ty = v - y0;
  const top = map[y0 * w + x0]! * (1 - tx) + map[y0 * w + x1]! * tx;
  const bottom = map[y1 * w + x0]! * (1 - tx) + map[y1 * w + x1]! * tx;
  return top * (1 - ty) + bottom * ty;
}

const GRID = 200;
/** IoU on a GRID x GRID lattice over the image (normalised coordinates) of two predicates. */
function iou(a: (u: number, v: number) => boolean, b: (u: number, v: number) => boolean): number {
  let inter = 0;
  let union = 0;
  for (let j = 0; j < GRID; j++) {
    for (let i = 0; i < GRID; i++) {
      const u = (i + 0.5) / GRID;
      const v = (j + 0.5) / GRID;
      const p = a(u, v);
      const q = b(u, v);
      if (p && q) inter++;
      if (p || q) union++;
    }
  }
  return union ? inter / union : 0;
}

interface Score {
  /** The map had no positive value: the head sees no evidence anywhere (an untrained head, say). */
  empty: boolean;
  /** The peak is on the map's outer ring of cells (padding artefacts of the backbone show up there). */
  edge: boolean;
  hit: boolean;
  maskIou: number;
  boxIou: number;
}
type Method = 'labelled' | 'predicted' | 'activation' | 'score-cam' | 'occlusion' | 'centre';
const methods: Method[] = [
  'labelled',
  'predicted',
  'activation',
  ...(args.fallbacks ? (['score-cam', 'occlusion'] as const) : []),
  'centre',
];
const fallbackSeconds: Partial<Record<Method, number>> = {};
const fallbackPasses: Partial<Record<Method, number>> = {};
const results: { row: BoxRow; single: boolean; scores: Partial<Record<Method, Score>>; predicted: string }[] = [];

for (const [n, row] of rows.entries()) {
  const frame = await readImageFrame(join(data, row.path), n, { crop: card.crop, outputSize: size });
  const { width: W, height: H } = frame.sourceSize;
  const box = { x0: Number(row.x0), y0: Number(row.y0), x1: Number(row.x1), y1: Number(row.y1) };
  const inBox = (u: number, v: number) => u >= box.x0 && u <= box.x1 && v >= box.y0 && v <= box.y1;
  const single = !/of several/i.test(row.note) && (box.x1 - box.x0) * (box.y1 - box.y0) < 0.3;
  // One forward pass per image: the element logits, its CAM and (for the reference map) the features.
  const { data: input, dims } = framesToTensor([frame], card);
  const wanted = [elementSpec.logits, ...(elementSpec.cam ? [elementSpec.cam] : []), ...(featuresName ? [featuresName] : [])];
  const out = await model.run(input, dims, wanted);
  const prediction = headPrediction(out[elementSpec.logits]!.data, elementSpec.labels, 0);
  const scores: Partial<Record<Method, Score>> = {};

  const scoreMap = (raw: Float32Array, w: number, h: number): Score => {
    const l = localiseMap(raw, w, h, frame.region, { threshold });
    const heat = reluNormalise(raw);
    const top = l.boxes[0];
    return {
      empty: !heat.some((x) => x > 0),
      edge: (() => {
        const p = argmax(raw);
        const x = p % w;
        const y = Math.floor(p / w);
        return x === 0 || y === 0 || x === w - 1 || y === h - 1;
      })(),
      hit: inBox(l.peak.x / W, l.peak.y / H),
      maskIou: iou((u, v) => heat.some((x) => x > 0) && sampleAt(heat, w, h, frame.region, u * W, v * H) >= threshold, inBox),
      boxIou: top ? iou((u, v) => u * W >= top.x && u * W < top.x + top.width && v * H >= top.y && v * H < top.y + top.height, inBox) : 0,
    };
  };

  if (elementSpec.cam) {
    const cam = out[elementSpec.cam]!;
    const [, classes, h, w] = cam.dims as [number, number, number, number];
    const cams = { classes, height: h, width: w, data: cam.data, method: 'gradcam' };
    const labelled = elementSpec.labels.indexOf(row.element);
    if (labelled >= 0) scores.labelled = scoreMap(classMap(cams, labelled), w, h);
    scores.predicted = scoreMap(classMap(cams, prediction.topIndex), w, h);
  }
  if (featuresName) {
    const features = out[featuresName]!;
    const [, a, b, c] = features.dims as [number, number, number, number];
    const [k, h, w] = featuresNhwc ? [c, a, b] : [a, b, c];
    const mean = new Float32Array(h * w);
    for (let ch = 0; ch < k; ch++) {
      for (let i = 0; i < h * w; i++) mean[i]! += featuresNhwc ? features.data[i * k + ch]! : features.data[ch * h * w + i]!;
    }
    scores.activation = scoreMap(mean, w, h);
  }
  const labelled = elementSpec.labels.indexOf(row.element);
  if (args.fallbacks && labelled >= 0) {
    const runs: [Method, () => ReturnType<typeof scoreCams>][] = [
      ['occlusion', () => occlusionCams(model, frame, Number(args['occlusion-cells']), 16)],
    ];
    if (featuresName && !featuresNhwc) runs.unshift(['score-cam', () => scoreCams(model, frame, Number(args['score-cam-channels']), 16)]);
    for (const [method, make] of runs) {
      const started = performance.now();
      const run = await make();
      fallbackSeconds[method] = (fallbackSeconds[method] ?? 0) + (performance.now() - started) / 1000;
      fallbackPasses[method] = run.forwardPasses;
      const maps = run.cams.element!;
      scores[method] = scoreMap(classMap(maps, labelled), maps.width, maps.height);
    }
  }
  const r = frame.region;
  scores.centre = {
    empty: false,
    edge: false,
    hit: inBox(0.5, 0.5),
    maskIou: iou((u, v) => u * W >= r.x && u * W < r.x + r.width && v * H >= r.y && v * H < r.y + r.height, inBox),
    boxIou: iou((u, v) => u * W >= r.x && u * W < r.x + r.width && v * H >= r.y && v * H < r.y + r.height, inBox),
  };
  results.push({ row, single, scores, predicted: prediction.label });
}
await model.close();

// An extra subset from a file of image ids (one a line), e.g. the boxed images in a validation split.
const listed = args['subset-ids'] ? new Set(readFileSync(args['subset-ids'], 'utf8').split(/\r?\n/).filter(Boolean)) : undefined;
const subsets: [string, (r: (typeof results)[number]) => boolean][] = [
  ['all', () => true],
  ['single, < 30 %', (r) => r.single],
  ...(listed
    ? ([
        ['listed', (r) => listed.has(r.row.id)],
        ['listed single', (r) => listed.has(r.row.id) && r.single],
      ] as [string, (r: (typeof results)[number]) => boolean][])
    : []),
  ...[...new Set(rows.map((r) => r.element))]
    .sort()
    .map((e) => [e, (r: (typeof results)[number]) => r.row.element === e] as [string, (r: (typeof results)[number]) => boolean]),
];
const pct = (x: number) => `${(100 * x).toFixed(1)}`.padStart(6);
const lines = [`model: ${args.model} (${card.name}), threshold ${threshold} x max, ${rows.length} boxed images`, ''];
lines.push(
  `${'subset'.padEnd(16)} ${'n'.padStart(4)}  ${'map'.padEnd(10)} ${'point %'.padStart(8)} ${'maskIoU'.padStart(8)} ${'boxIoU'.padStart(8)} ${'empty %'.padStart(8)} ${'edge %'.padStart(8)}`,
);
const summary: Record<
  string,
  Record<string, { n: number; pointing: number; maskIou: number; boxIou: number; empty: number; edge: number }>
> = {};
for (const [name, keep] of subsets) {
  const subset = results.filter(keep);
  summary[name] = {};
  for (const m of methods) {
    const scored = subset.map((r) => r.scores[m]).filter((s): s is Score => s !== undefined);
    if (!scored.length) continue;
    const mean = (f: (s: Score) => number) => scored.reduce((a, s) => a + f(s), 0) / scored.length;
    const entry = {
      n: scored.length,
      pointing: mean((s) => (s.hit ? 1 : 0)),
      maskIou: mean((s) => s.maskIou),
      boxIou: mean((s) => s.boxIou),
      empty: mean((s) => (s.empty ? 1 : 0)),
      edge: mean((s) => (s.edge ? 1 : 0)),
    };
    summary[name]![m] = entry;
    lines.push(
      `${name.padEnd(16)} ${String(entry.n).padStart(4)}  ${m.padEnd(10)} ${pct(entry.pointing).padStart(8)} ${pct(entry.maskIou).padStart(8)} ${pct(entry.boxIou).padStart(8)} ${pct(entry.empty).padStart(8)} ${pct(entry.edge).padStart(8)}`,
    );
  }
}
const accuracy = results.filter((r) => r.predicted === r.row.element).length / results.length;
lines.push('', `element accuracy on these images: ${(100 * accuracy).toFixed(1)} % (predicted label = boxed element)`);
for (const m of ['score-cam', 'occlusion'] as const) {
  if (fallbackSeconds[m] === undefined) continue;
  const perImage = (1000 * fallbackSeconds[m]) / results.length;
  lines.push(`${m}: ${fallbackPasses[m]} forward passes per image, ${perImage.toFixed(0)} ms per image`);
}
process.stdout.write(lines.join('\n') + '\n');
if (args.json)
  writeFileSync(
    args.json,
    JSON.stringify({ model: args.model, threshold, images: rows.length, summary, elementAccuracy: accuracy }, null, 2),
  );
