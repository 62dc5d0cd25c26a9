/**
 * One class map -> where the element is, in source pixels: ReLU and normalise, upsample to a modest
 * grid (not to 4K: the map has only h x w cells of information), threshold (relative to the maximum,
 * or Otsu), connected components into boxes, peak and masked area fraction.
 */
import type { CamMaps, Localisation, Rect } from '../types.js';
import { localiseSchema, type LocaliseOptions } from '../config/explain.js';
import { argmax, bilinearResize, classMap, connectedComponents, maskFraction, otsuThreshold, reluNormalise, thresholdMask } from './cam.js';
import { cellCentreToSource, cellsToSourceRect } from './source-coords.js';

/** The heatmap the renderer and the localiser share: ReLU(class map) / max, at map resolution. */
export function heatmapOf(maps: CamMaps, classIndex: number): Float32Array {
  return reluNormalise(classMap(maps, classIndex));
}

export interface MapLocalisation {
  boxes: Rect[];
  peak: { x: number; y: number };
  areaFraction: number;
  /** The threshold applied to the normalised map (0..1): the option, or Otsu's level. */
  threshold: number;
}

/**
 * Localises one raw (pre-ReLU) class map of `width` x `height` cells stretched over `region`.
 * The peak is the centre of the map's strongest cell (the argmax of the raw map, so it exists even
 * when nothing is positive; then boxes are empty and the area is 0).
 */
export function localiseMap(
  raw: Float32Array,
  width: number,
  height: number,
  region: Rect,
  options: Partial<LocaliseOptions> = {},
): MapLocalisation {
  const o = localiseSchema.parse(options);
  const heat = reluNormalise(raw);
  const peakCell = argmax(raw);
  const peak = cellCentreToSource(peakCell % width, Math.floor(peakCell / width), width, height, region);
  // The grid keeps at least the map's own resolution, so a 16x16 map is never coarsened.
  const gridWidth = Math.max(o.gridCells, width);
  const gridHeight = Math.max(o.gridCells, height);
  const grid = bilinearResize(heat, width, height, gridWidth, gridHeight);
  const threshold = o.thresholdMethod === 'otsu' ? otsuThreshold(grid) : o.threshold;
  const positive = heat[peakCell]! > 0;
  const mask = positive ? thresholdMask(grid, threshold) : new Uint8Array(grid.length);
  const boxes = connectedComponents(mask, gridWidth, gridHeight)
    .slice(0, o.maxBoxes)
    .map((c) => cellsToSourceRect(c, gridWidth, gridHeight, region));
  return { boxes, peak, areaFraction: maskFraction(mask), threshold };
}

/** The Localisation of one head's class from its CAM maps (the FrameResult field). */
export function localise(
  maps: CamMaps,
  target: { head: string; classIndex: number; label: string },
  region: Rect,
  options: Partial<LocaliseOptions> = {},
): Localisation {
  const { boxes, peak, areaFraction } = localiseMap(classMap(maps, target.classIndex), maps.width, maps.height, region, options);
  return { ...target, method: maps.method, boxes, peak, areaFraction, region: { ...region } };
}
