/**
 * Score-CAM (Wang et al., CVPR workshops 2020), the gradient-free fallback for heads that pool a
 * feature map but have no CAM output (an MLP head, say). Each chosen channel's activation map is
 * upsampled to the input, scaled to 0..1 and used as a mask on the picture; the head's softmax on
 * the masked picture is that channel's weight for each class, and the class map is the weighted sum
 * of the activation maps: map_c = sum_k softmax(f(x * M_k))_c A_k. No gradients, channels + 1
 * forward passes per frame (the first gives the activations).
 *
 * Masking happens in pixel space: a masked pixel is pixel x mask, so with the card's scaling
 * (value = pixel * scale + offset) the tensor value becomes offset + (value - offset) x mask; with
 * mean/std normalisation, hidden parts become black, as in the paper.
 */
import { channelAffine } from '../model/card.js';
import type { ModelSession } from '../model/session.js';
import { framesToTensor } from '../model/preprocess.js';
import { softmax } from '../model/predict.js';
import type { CamMaps, Frame } from '../types.js';
import { bilinearResize } from './cam.js';

export const SCORE_CAM_METHOD = 'score-cam';

/**
 * The `count` channels of a [channels, cells] feature map with the largest mean activation, largest
 * first; channels that are flat over the frame are left out (their mask would hide nothing or all).
 */
export function strongestChannels(features: Float32Array, channels: number, cells: number, count: number): number[] {
  const ranked: [number, number][] = [];
  for (let k = 0; k < channels; k++) {
    let sum = 0;
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < cells; i++) {
      const v = features[k * cells + i]!;
      sum += v;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    if (max > min) ranked.push([sum, k]);
  }
  return ranked
    .sort((a, b) => b[0] - a[0] || a[1] - b[1])
    .slice(0, count)
    .map(([, k]) => k);
}

/** One channel's activation map, scaled to 0..1 and upsampled to height x width (the mask). */
export function channelMask(
  features: Float32Array,
  channel: number,
  mapWidth: number,
  mapHeight: number,
  width: number,
  height: number,
): Float32Array {
  const cells = mapWidth * mapHeight;
  const map = features.slice(channel * cells, (channel + 1) * cells);
  let min = Infinity;
  let max = -Infinity;
  for (const v of map) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const range = max - min || 1;
  for (let i = 0; i < cells; i++) map[i] = (map[i]! - min) / range;
  return bilinearResize(map, mapWidth, mapHeight, width, height);
}

/**
 * Writes the masked copy of one CHW input tensor into `out` at `at`: offset + (value - offset) x mask,
 * per channel (offset = the tensor value of a black pixel).
 */
export function maskInput(input: Float32Array, offset: readonly number[], mask: Float32Array, out: Float32Array, at: number): void {
  const plane = mask.length;
  for (let c = 0; c < offset.length; c++) {
    const o = offset[c]!;
    const base = c * plane;
    for (let i = 0; i < plane; i++) out[at + base + i] = o + (input[base + i]! - o) * mask[i]!;
  }
}

/**
 * Class-major maps [classes, cells] = sum over the chosen channels of weight[j, c] x A_{channel j},
 * from the softmax weights [chosen, classes] (row j for channels[j]).
 */
export function weightedMaps(
  features: Float32Array,
  cells: number,
  channels: readonly number[],
  weights: Float32Array,
  classes: number,
): Float32Array {
  if (weights.length !== channels.length * classes)
    throw new RangeError(`expected ${channels.length * classes} weights, got ${weights.length}`);
  const maps = new Float32Array(classes * cells);
  channels.forEach((k, j) => {
    for (let c = 0; c < classes; c++) {
      const w = weights[j * classes + c]!;
      for (let i = 0; i < cells; i++) maps[c * cells + i]! += w * features[k * cells + i]!;
    }
  });
  return maps;
}

export interface ScoreCamRun {
  cams: Record<string, CamMaps>;
  forwardPasses: number;
}

/**
 * Score-CAM maps for every head of the card that names a `features` output (heads pooling the same
 * feature map share the masked passes). `channels`: how many of the strongest channels mask the
 * input; the copies go to the model `batchSize` at a time.
 */
export async function scoreCams(model: ModelSession, frame: Frame, channels: number, batchSize: number): Promise<ScoreCamRun> {
  const card = model.card;
  const { data: image, dims } = framesToTensor([frame], card);
  const [, inputChannels, height, width] = dims;
  const { offset } = channelAffine(card);
  const byFeatures = new Map<string, [string, (typeof card.heads)[string]][]>();
  for (const [name, spec] of Object.entries(card.heads)) {
    if (spec.features) byFeatures.set(spec.features, [...(byFeatures.get(spec.features) ?? []), [name, spec]]);
  }
  const cams: Record<string, CamMaps> = {};
  let forwardPasses = 0;
  for (const [featuresName, heads] of byFeatures) {
    const first = await model.run(image, dims, [featuresName]);
    forwardPasses++;
    const features = first[featuresName]!;
    const [, featureCount, mapHeight, mapWidth] = features.dims as [number, number, number, number];
    const cells = mapHeight * mapWidth;
    const chosen = strongestChannels(features.data, featureCount, cells, channels);
    const weights = heads.map(([, spec]) => new Float32Array(chosen.length * spec.labels.length));
    const logitNames = heads.map(([, spec]) => spec.logits);
    const copy = image.length;
    for (let start = 0; start < chosen.length; start += batchSize) {
      const count = Math.min(batchSize, chosen.length - start);
      const batch = new Float32Array(count * copy);
      for (let j = 0; j < count; j++) {
        const mask = channelMask(features.data, chosen[start + j]!, mapWidth, mapHeight, width, height);
        maskInput(image, offset, mask, batch, j * copy);
      }
      const out = await model.run(batch, [count, inputChannels, height, width], logitNames);
      forwardPasses += count;
      heads.forEach(([, spec], h) => {
        const classes = spec.labels.length;
        const logits = out[spec.logits]!.data;
        for (let j = 0; j < count; j++) weights[h]!.set(softmax(logits.subarray(j * classes, (j + 1) * classes)), (start + j) * classes);
      });
    }
    heads.forEach(([name, spec], h) => {
      const classes = spec.labels.length;
      cams[name] = {
        classes,
        height: mapHeight,
        width: mapWidth,
        data: weightedMaps(features.data, cells, chosen, weights[h]!, classes),
        method: SCORE_CAM_METHOD,
      };
    });
  }
  return { cams, forwardPasses };
}
