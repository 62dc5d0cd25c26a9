/**
 * Runs the occlusion fallback through a model: CAM-like maps for every head of one frame, from
 * batched forward passes (cells^2 + 1 per frame). Used when the graph has no CAM output.
 */
import type { ModelSession } from '../model/session.js';
import { framesToTensor } from '../model/preprocess.js';
import type { CamMaps, Frame } from '../types.js';
import { occludedCopies, occlusionMaps } from './occlusion.js';

export const OCCLUSION_METHOD = 'occlusion';

export interface OcclusionRun {
  cams: Record<string, CamMaps>;
  forwardPasses: number;
}

export async function occlusionCams(model: ModelSession, frame: Frame, cells: number, batchSize: number): Promise<OcclusionRun> {
  const card = model.card;
  const heads = Object.entries(card.heads);
  const logitNames = heads.map(([, spec]) => spec.logits);
  const { data: image, dims } = framesToTensor([frame], card);
  const [, channels, height, width] = dims;
  const patches = cells * cells;
  const baseline = await model.run(image, dims, logitNames);
  const occluded: Record<string, Float32Array> = {};
  for (const [, spec] of heads) occluded[spec.logits] = new Float32Array(patches * spec.labels.length);
  for (let first = 0; first < patches; first += batchSize) {
    const count = Math.min(batchSize, patches - first);
    const copies = occludedCopies(image, channels, height, width, cells, first, count);
    const out = await model.run(copies, [count, channels, height, width], logitNames);
    for (const [, spec] of heads)
      occluded[spec.logits]!.set(out[spec.logits]!.data.subarray(0, count * spec.labels.length), first * spec.labels.length);
  }
  const cams: Record<string, CamMaps> = {};
  for (const [name, spec] of heads) {
    const classes = spec.labels.length;
    cams[name] = {
      classes,
      height: cells,
      width: cells,
      data: occlusionMaps(baseline[spec.logits]!.data, occluded[spec.logits]!, classes, cells),
      method: OCCLUSION_METHOD,
    };
  }
  return { cams, forwardPasses: patches + 1 };
}
