/**
 * Finds burned-in overlays from the video itself. Over a window of sampled frames, overlay pixels
 * stay the same while the scene under them moves, and text and graphics have sharp edges; open
 * water is just as still but has no edges, and the scene's edges blur out of the temporal median
 * once the camera moves. So a pixel is an overlay candidate when it deviates little from its
 * temporal median (relative to how much the scene moves) and the median picture has a sharp edge
 * there. Candidates are cleaned of isolated specks and grown to cover whole characters, so that a
 * running clock's changing digits are masked with the stable digits beside them.
 *
 * When the scene itself barely moves (a fixed camera, a hovering ROV) stability says nothing, and
 * no mask is made rather than masking the scene.
 */

export interface OverlayDetectOptions {
  /**
   * Frames needed for a decision. With fewer, parts of a slowly moving textured scene stay still
   * by chance (measured: 4 frames of a slow ROV pass over corals masked 8 % of the view as specks).
   */
  minFrames?: number;
  /**
   * The scene must move: the 90th percentile of the per-pixel deviation, in 8-bit grey levels,
   * at least this. Below it, no mask.
   */
  minSceneMotion?: number;
  /** A candidate deviates from its temporal median by at most this fraction of the scene's motion... */
  stableFraction?: number;
  /** ...and at most this many grey levels (compression noise on still text stays below it). */
  maxStableLevels?: number;
  /** Sobel gradient magnitude of the median picture, in grey levels per pixel, at least this. */
  minEdge?: number;
  /** Grow the cleaned candidates by this fraction of the picture's smaller side (whole characters). */
  growFraction?: number;
}

export const OVERLAY_DETECT_DEFAULTS: Required<OverlayDetectOptions> = {
  minFrames: 6,
  minSceneMotion: 6,
  stableFraction: 0.5,
  maxStableLevels: 16,
  minEdge: 25,
  growFraction: 0.015,
};

export interface OverlayDetection {
  /** 1 = overlay; width x height, row-major. Empty (all 0) when the scene was too still to tell. */
  mask: Uint8Array;
  /** The 90th percentile of the per-pixel deviation from the temporal median, in grey levels. */
  sceneMotion: number;
  /** False when the scene barely moved, or too few frames came, and no mask could be made. */
  decided: boolean;
  /** Frames the decision was made on. */
  frames: number;
}

/** ITU-R BT.601 luma of an RGB (HWC) picture. */
export function luma(rgb: Uint8Array, width: number, height: number): Uint8Array {
  const out = new Uint8Array(width * height);
  for (let i = 0, p = 0; i < out.length; i++, p += 3) {
    out[i] = (299 * rgb[p]! + 587 * rgb[p + 1]! + 114 * rgb[p + 2]! + 500) / 1000;
  }
  return out;
}

/** Per-pixel temporal median and mean absolute deviation from it over the window. */
export function temporalStatistics(frames: readonly Uint8Array[], pixels: number): { median: Uint8Array; deviation: Float32Array } {
  const median = new Uint8Array(pixels);
  const deviation = new Float32Array(pixels);
  const values = new Uint8Array(frames.length);
  const n = frames.length;
  for (let i = 0; i < pixels; i++) {
    for (let t = 0; t < n; t++) values[t] = frames[t]![i]!;
    values.sort();
    const m = n % 2 ? values[(n - 1) / 2]! : (values[n / 2 - 1]! + values[n / 2]!) / 2;
    median[i] = Math.round(m);
    let sum = 0;
    for (let t = 0; t < n; t++) sum += Math.abs(values[t]! - m);
    deviation[i] = sum / n;
  }
  return { median, deviation };
}

/** Sobel gradient magnitude (grey levels per pixel; a black-to-white step gives about 255). */
export function edgeStrength(picture: Uint8Array, width: number, height: number): Float32Array {
  const out = new Float32Array(width * height);
  const at = (x: number, y: number) => picture[Math.min(height - 1, Math.max(0, y)) * width + Math.min(width - 1, Math.max(0, x))]!;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const gx = at(x + 1, y - 1) + 2 * at(x + 1, y) + at(x + 1, y + 1) - at(x - 1, y - 1) - 2 * at(x - 1, y) - at(x - 1, y + 1);
      const gy = at(x - 1, y + 1) + 2 * at(x, y + 1) + at(x + 1, y + 1) - at(x - 1, y - 1) - 2 * at(x, y - 1) - at(x + 1, y - 1);
      out[y * width + x] = Math.hypot(gx, gy) / 4;
    }
  }
  return out;
}

function percentile(values: Float32Array, fraction: number): number {
  const sorted = Float32Array.from(values).sort();
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))]! : 0;
}

/** Keeps a cell only when at least `min` of the 3x3 neighbourhood (itself included) are set. */
function removeSpecks(cells: Uint8Array, width: number, height: number, min: number): Uint8Array {
  const out = new Uint8Array(cells.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (!cells[y * width + x]) continue;
      let count = 0;
      for (let dy = -1; dy <= 1; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= height) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          if (xx >= 0 && xx < width) count += cells[yy * width + xx]!;
        }
      }
      if (count >= min) out[y * width + x] = 1;
    }
  }
  return out;
}

/** Square dilation by `radius` cells, separable (rows, then columns). */
export function dilate(cells: Uint8Array, width: number, height: number, radius: number): Uint8Array {
  if (radius <= 0) return Uint8Array.from(cells);
  const rows = new Uint8Array(cells.length);
  for (let y = 0; y < height; y++) {
    let last = -Infinity;
    // Forward pass remembers the last set cell; a backward pass covers cells before the next one.
    for (let x = 0; x < width; x++) {
      if (cells[y * width + x]) last = x;
      if (x - last <= radius) rows[y * width + x] = 1;
    }
    let next = Infinity;
    for (let x = width - 1; x >= 0; x--) {
      if (cells[y * width + x]) next = x;
      if (next - x <= radius) rows[y * width + x] = 1;
    }
  }
  const out = new Uint8Array(cells.length);
  for (let x = 0; x < width; x++) {
    let last = -Infinity;
    for (let y = 0; y < height; y++) {
      if (rows[y * width + x]) last = y;
      if (y - last <= radius) out[y * width + x] = 1;
    }
    let next = Infinity;
    for (let y = height - 1; y >= 0; y--) {
      if (rows[y * width + x]) next = y;
      if (next - y <= radius) out[y * width + x] = 1;
    }
  }
  return out;
}

/** The overlay mask of a window of luma pictures (at least `minFrames`) of one size. */
export function detectOverlay(
  frames: readonly Uint8Array[],
  width: number,
  height: number,
  options: OverlayDetectOptions = {},
): OverlayDetection {
  const o = { ...OVERLAY_DETECT_DEFAULTS, ...options };
  const pixels = width * height;
  const count = frames.length;
  if (count < Math.max(3, o.minFrames)) return { mask: new Uint8Array(pixels), sceneMotion: 0, decided: false, frames: count };
  const { median, deviation } = temporalStatistics(frames, pixels);
  const sceneMotion = percentile(deviation, 0.9);
  if (sceneMotion < o.minSceneMotion) return { mask: new Uint8Array(pixels), sceneMotion, decided: false, frames: count };
  const edges = edgeStrength(median, width, height);
  const stableBelow = Math.min(o.maxStableLevels, o.stableFraction * sceneMotion);
  const candidates = new Uint8Array(pixels);
  for (let i = 0; i < pixels; i++) if (deviation[i]! <= stableBelow && edges[i]! >= o.minEdge) candidates[i] = 1;
  const cleaned = removeSpecks(candidates, width, height, 3);
  const radius = Math.max(1, Math.round(o.growFraction * Math.min(width, height)));
  return { mask: dilate(cleaned, width, height, radius), sceneMotion, decided: true, frames: count };
}
