/**
 * CAM post-processing speed on CPU: a 16x16 map over the 0.67 centre crop of a 4K frame, through
 * upsample -> threshold -> components -> boxes -> peak (`localise`), against the same steps done at
 * the crop's full resolution (the baseline, measured in the same run). Then, for reference, the
 * renderer on a 4K frame and the occlusion fallback's cost in forward passes (and time, when a
 * real model is given).
 *
 *   npx tsx bench/cam.ts [--model models/build/mobilenet_v2-backbone.onnx]
 */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { bilinearResize, connectedComponents, reluNormalise, thresholdMask } from '../src/explain/cam.js';
import { localise } from '../src/explain/localise.js';
import { occlusionCams } from '../src/explain/occlusion-cam.js';
import { renderAnnotated } from '../src/explain/render.js';
import { relativeCenterCrop } from '../src/geometry.js';
import { predictBatch } from '../src/model/predict.js';
import { ModelSession } from '../src/model/session.js';
import type { CamMaps, Frame, FrameResult } from '../src/types.js';

const { values: args } = parseArgs({ options: { model: { type: 'string', default: 'models/build/mobilenet_v2-backbone.onnx' } } });

const source = { width: 3840, height: 2160 };
const region = relativeCenterCrop(source, { widthFraction: 0.67, heightFraction: 1 });
const MAP = 16;

/** A few Gaussian blobs at seeded places: what element CAMs look like. */
function blobMap(seed: number): CamMaps {
  let s = seed;
  const rand = () => ((s = (s * 1664525 + 1013904223) >>> 0), s / 2 ** 32);
  const data = new Float32Array(5 * MAP * MAP);
  for (let c = 0; c < 5; c++) {
    for (let b = 0; b < 3; b++) {
      const cx = rand() * MAP;
      const cy = rand() * MAP;
      const sigma = 1 + rand() * 2.5;
      const amp = rand() * 4 - 1;
      for (let y = 0; y < MAP; y++)
        for (let x = 0; x < MAP; x++)
          data[c * MAP * MAP + y * MAP + x]! += amp * Math.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * sigma * sigma));
    }
  }
  return { classes: 5, height: MAP, width: MAP, data, method: 'gradcam' };
}

function time(iterations: number, fn: (i: number) => void): { median: number; p95: number } {
  const times: number[] = [];
  for (let i = 0; i < Math.min(5, iterations); i++) fn(i); // warm-up
  for (let i = 0; i < iterations; i++) {
    const t = performance.now();
    fn(i);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(times.length / 2)]!, p95: times[Math.floor(times.length * 0.95)]! };
}

const maps = Array.from({ length: 64 }, (_, i) => blobMap(i + 1));
const rows: [string, string, string, string][] = [];
const add = (what: string, t: { median: number; p95: number }, note: string) =>
  rows.push([what, t.median.toFixed(3), t.p95.toFixed(3), note]);

const fast = time(500, (i) => localise(maps[i % maps.length]!, { head: 'element', classIndex: 4, label: 'rocks' }, region));
add('localise, 64-cell grid (default)', fast, 'relative threshold 0.5, up to 3 boxes');
add(
  'localise, Otsu',
  time(500, (i) =>
    localise(maps[i % maps.length]!, { head: 'element', classIndex: 4, label: 'rocks' }, region, { thresholdMethod: 'otsu' }),
  ),
  '',
);
add(
  'localise, 256-cell grid',
  time(200, (i) => localise(maps[i % maps.length]!, { head: 'element', classIndex: 4, label: 'rocks' }, region, { gridCells: 256 })),
  '',
);
const full = time(5, (i) => {
  const m = maps[i % maps.length]!;
  const heat = reluNormalise(m.data.slice(4 * MAP * MAP, 5 * MAP * MAP));
  const up = bilinearResize(heat, MAP, MAP, region.width, region.height);
  connectedComponents(thresholdMask(up, 0.5), region.width, region.height);
});
add(`baseline: same at ${region.width}x${region.height}`, full, 'upsample, threshold, components at crop resolution');

// The renderer on a 4K frame (grey, so the cost is the pixel work, not the content).
const pixels = new Uint8Array(source.width * source.height * 3).fill(90);
const frame4k: Frame = {
  sourceId: 'bench',
  index: 0,
  ptsSeconds: 0,
  width: source.width,
  height: source.height,
  pixels,
  sourceSize: source,
  region: { x: 0, y: 0, ...source },
};
const modelFrame: Frame = { ...frame4k, width: 512, height: 512, pixels: new Uint8Array(512 * 512 * 3), region };
const heads = {
  element: {
    labels: ['ripples', 'fauna', 'algae', 'waste', 'rocks'],
    probabilities: Float32Array.from([0.1, 0.1, 0.1, 0.1, 0.6]),
    label: 'rocks',
    confidence: 0.6,
    topIndex: 4,
    uncertain: false,
  },
};
const result: FrameResult = {
  frame: modelFrame,
  heads,
  cams: { element: maps[0]! },
  localisation: localise(maps[0]!, { head: 'element', classIndex: 4, label: 'rocks' }, region),
};
const renderTimes: number[] = [];
for (let i = 0; i < 6; i++) {
  const t = performance.now();
  await renderAnnotated(frame4k, result);
  if (i > 0) renderTimes.push(performance.now() - t);
}
renderTimes.sort((a, b) => a - b);
rows.push(['render 4K -> 1920x1080 JPEG', renderTimes[2]!.toFixed(1), renderTimes[4]!.toFixed(1), 'resize, blend, SVG overlay, encode']);

const pad = (s: string, n: number) => s.padEnd(n);
process.stdout.write(
  `CAM post-processing, ${MAP}x${MAP} map over the 0.67 crop of a ${source.width}x${source.height} frame (region ${region.width}x${region.height})\n\n`,
);
process.stdout.write(`${pad('step', 40)} ${'median ms'.padStart(10)} ${'p95 ms'.padStart(10)}  note\n`);
for (const [what, median, p95, note] of rows)
  process.stdout.write(`${pad(what, 40)} ${median.padStart(10)} ${p95.padStart(10)}  ${note}\n`);
process.stdout.write(
  `\nlocalise is ${(full.median / fast.median).toFixed(0)}x faster than the full-resolution baseline; target <= 5 ms: ${fast.median <= 5 ? 'met' : 'NOT met'}\n`,
);

// The occlusion fallback: cells^2 + 1 forward passes per frame.
process.stdout.write(
  `\nocclusion fallback: forward passes per frame = cells^2 + 1: ${[4, 6, 8].map((c) => `${c} cells -> ${c * c + 1}`).join(', ')}\n`,
);
if (args.model && existsSync(args.model)) {
  const model = await ModelSession.open(args.model, { notice: () => undefined });
  const { width, height } = model.card.input;
  const input: Frame = { ...modelFrame, width, height, pixels: new Uint8Array(width * height * 3).map((_, i) => (i * 37) % 251) };
  await predictBatch(model, [input]); // warm-up
  let t = performance.now();
  await predictBatch(model, [input]);
  const plain = performance.now() - t;
  t = performance.now();
  const run = await occlusionCams(model, input, 4, 8);
  const occluded = performance.now() - t;
  process.stdout.write(
    `${model.card.name} at ${width}x${height}: one forward pass ${plain.toFixed(0)} ms (baseline); occlusion with 4 cells (${run.forwardPasses} passes, batches of 8) ${occluded.toFixed(0)} ms per frame (${(occluded / plain).toFixed(1)}x)\n`,
  );
  await model.close();
}
