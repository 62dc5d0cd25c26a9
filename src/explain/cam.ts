/**
 * CAM maths, pure: typed arrays in, typed arrays out, no I/O. A map is row-major, `width` x `height`.
 *
 * Resampling treats each map value as the centre of its cell (half-pixel convention): cell (i, j) of
 * an h x w map covers [j, j+1) x [i, i+1) in map units, the same convention as the frames, so a map
 * stretched over a region lands where the convolution's receptive fields were.
 */
import type { CamMaps } from '../types.js';

/** The map of one class, copied out of the class-major block. */
export function classMap(maps: CamMaps, classIndex: number): Float32Array {
  if (!Number.isInteger(classIndex) || classIndex < 0 || classIndex >= maps.classes) {
    throw new RangeError(`class index ${classIndex} is outside 0..${maps.classes - 1}`);
  }
  const cells = maps.width * maps.height;
  return maps.data.slice(classIndex * cells, (classIndex + 1) * cells);
}

/** Index of the largest value (the first one on ties). */
export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}

/**
 * Grad-CAM's ReLU, then scaled so the maximum is 1. A map with no positive evidence becomes all
 * zeros (not NaN): nothing in the frame supports the class.
 */
export function reluNormalise(map: Float32Array): Float32Array {
  let max = 0;
  for (let i = 0; i < map.length; i++) if (map[i]! > max) max = map[i]!;
  const out = new Float32Array(map.length);
  if (max <= 0) return out;
  const inv = 1 / max;
  for (let i = 0; i < map.length; i++) out[i] = map[i]! > 0 ? map[i]! * inv : 0;
  return out;
}

/**
 * Bilinear resize with the half-pixel convention, edges clamped (the outer half cells are flat).
 * Precomputes per-column and per-row taps, so the inner loop is four multiply-adds.
 */
export function bilinearResize(src: Float32Array, srcWidth: number, srcHeight: number, dstWidth: number, dstHeight: number): Float32Array {
  if (src.length !== srcWidth * srcHeight) throw new RangeError(`map has ${src.length} values, not ${srcWidth}x${srcHeight}`);
  const taps = (srcN: number, dstN: number) => {
    const lo = new Int32Array(dstN);
    const hi = new Int32Array(dstN);
    const t = new Float32Array(dstN);
    const scale = srcN / dstN;
    for (let d = 0; d < dstN; d++) {
      const s = Math.min(Math.max((d + 0.5) * scale - 0.5, 0), srcN - 1);
      lo[d] = Math.floor(s);
      hi[d] = Math.min(lo[d]! + 1, srcN - 1);
      t[d] = s - lo[d]!;
    }
    return { lo, hi, t };
  };
  const cx = taps(srcWidth, dstWidth);
  const cy = taps(srcHeight, dstHeight);
  const out = new Float32Array(dstWidth * dstHeight);
  for (let y = 0; y < dstHeight; y++) {
    const r0 = cy.lo[y]! * srcWidth;
    const r1 = cy.hi[y]! * srcWidth;
    const ty = cy.t[y]!;
    const row = y * dstWidth;
    for (let x = 0; x < dstWidth; x++) {
      const x0 = cx.lo[x]!;
      const x1 = cx.hi[x]!;
      const tx = cx.t[x]!;
      const top = src[r0 + x0]! + (src[r0 + x1]! - src[r0 + x0]!) * tx;
      const bottom = src[r1 + x0]! + (src[r1 + x1]! - src[r1 + x0]!) * tx;
      out[row + x] = top + (bottom - top) * ty;
    }
  }
  return out;
}

/** 1 where value >= threshold. */
export function thresholdMask(map: Float32Array, threshold: number): Uint8Array {
  const mask = new Uint8Array(map.length);
  for (let i = 0; i < map.length; i++) mask[i] = map[i]! >= threshold ? 1 : 0;
  return mask;
}

/**
 * Otsu's threshold for values in 0..1: the level that maximises the between-class variance of a
 * `bins`-bin histogram. Returns the lower edge of a bin of the upper class, so
 * `value >= threshold` puts the value in the upper class. A constant map returns 1 (empty mask
 * unless the map is all ones).
 */
export function otsuThreshold(values: Float32Array, bins = 256): number {
  const histogram = new Float64Array(bins);
  for (let i = 0; i < values.length; i++) {
    const v = Math.min(Math.max(values[i]!, 0), 1);
    histogram[Math.min(bins - 1, Math.floor(v * bins))]! += 1;
  }
  const total = values.length;
  let sumAll = 0;
  for (let b = 0; b < bins; b++) sumAll += b * histogram[b]!;
  let weightLow = 0;
  let sumLow = 0;
  let bestVariance = -1;
  // Splits that tie (an empty gap between two levels) form a plateau; its middle is the threshold,
  // so the level sits halfway between the classes instead of against the lower one.
  let plateauFirst = bins;
  let plateauLast = bins;
  for (let b = 0; b < bins - 1; b++) {
    weightLow += histogram[b]!;
    sumLow += b * histogram[b]!;
    const weightHigh = total - weightLow;
    if (weightLow === 0 || weightHigh === 0) continue;
    const meanLow = sumLow / weightLow;
    const meanHigh = (sumAll - sumLow) / weightHigh;
    const variance = weightLow * weightHigh * (meanLow - meanHigh) ** 2;
    if (variance > bestVariance * (1 + 1e-12)) {
      bestVariance = variance;
      plateauFirst = plateauLast = b + 1;
    } else if (variance >= bestVariance * (1 - 1e-12) && plateauLast === b) {
      plateauLast = b + 1;
    }
  }
  return Math.round((plateauFirst + plateauLast) / 2) / bins;
}

/** A connected component in map cells: half-open bounds, like Rect. */
export interface Component {
  area: number;
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * 8-connected components of a mask, largest area first (ties: top-most, then left-most first).
 * Flood fill with an explicit stack, so large masks cannot overflow the call stack.
 */
export function connectedComponents(mask: Uint8Array, width: number, height: number): Component[] {
  if (mask.length !== width * height) throw new RangeError(`mask has ${mask.length} cells, not ${width}x${height}`);
  const seen = new Uint8Array(mask.length);
  const stack = new Int32Array(mask.length);
  const components: (Component & { first: number })[] = [];
  for (let start = 0; start < mask.length; start++) {
    if (!mask[start] || seen[start]) continue;
    let top = 0;
    stack[top++] = start;
    seen[start] = 1;
    let area = 0;
    let x0 = width;
    let y0 = height;
    let x1 = -1;
    let y1 = -1;
    while (top > 0) {
      const i = stack[--top]!;
      const x = i % width;
      const y = (i - x) / width;
      area++;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
      for (let dy = -1; dy <= 1; dy++) {
        const ny = y + dy;
        if (ny < 0 || ny >= height) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx;
          if (nx < 0 || nx >= width) continue;
          const n = ny * width + nx;
          if (mask[n] && !seen[n]) {
            seen[n] = 1;
            stack[top++] = n;
          }
        }
      }
    }
    components.push({ area, x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1, first: start });
  }
  components.sort((a, b) => b.area - a.area || a.first - b.first);
  return components.map(({ first: _first, ...c }) => c);
}

/** Fraction of cells set, 0..1. */
export function maskFraction(mask: Uint8Array): number {
  if (mask.length === 0) return 0;
  let n = 0;
  for (let i = 0; i < mask.length; i++) n += mask[i]!;
  return n / mask.length;
}
