/**
 * From map/grid cells to source-frame pixels. A map of gridWidth x gridHeight cells is stretched
 * over `region` (the part of the source the model saw: Frame.region), so cell (i, j) covers
 * region.x + [j, j+1) * region.width / gridWidth horizontally, and likewise vertically. That undoes
 * both the resize (the scale) and the crop (the offset) in one affine map per axis.
 */
import type { Rect } from '../types.js';

/** A half-open rectangle of cells to whole source pixels (edges rounded outwards never past the region). */
export function cellsToSourceRect(cells: Rect, gridWidth: number, gridHeight: number, region: Rect): Rect {
  const sx = region.width / gridWidth;
  const sy = region.height / gridHeight;
  const x0 = Math.floor(region.x + cells.x * sx);
  const y0 = Math.floor(region.y + cells.y * sy);
  const x1 = Math.min(Math.ceil(region.x + (cells.x + cells.width) * sx), region.x + region.width);
  const y1 = Math.min(Math.ceil(region.y + (cells.y + cells.height) * sy), region.y + region.height);
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}

/** The centre of cell (column, row) in source pixels (sub-pixel, not rounded). */
export function cellCentreToSource(
  column: number,
  row: number,
  gridWidth: number,
  gridHeight: number,
  region: Rect,
): { x: number; y: number } {
  return {
    x: region.x + ((column + 0.5) * region.width) / gridWidth,
    y: region.y + ((row + 0.5) * region.height) / gridHeight,
  };
}

/**
 * Where source pixels land in a picture whose pixels show `shown` (a Frame's region) at
 * width x height: the inverse map, used by the renderer to draw source-space boxes on any frame.
 */
export function sourceToPicture(rect: Rect, shown: Rect, width: number, height: number): Rect {
  const sx = width / shown.width;
  const sy = height / shown.height;
  return { x: (rect.x - shown.x) * sx, y: (rect.y - shown.y) * sy, width: rect.width * sx, height: rect.height * sy };
}
