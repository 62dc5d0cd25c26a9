/**
 * The relative centre crop: keep the central `widthFraction` x `heightFraction` of a picture, which
 * drops the ROV's metal frame at the sides and makes the input size irrelevant. One definition used by
 * the sharp operator, the ffmpeg filter graph and training, so all three cut exactly the same pixels.
 */
import type { Rect, Size } from './types.js';

export interface RelativeCrop {
  widthFraction: number;
  heightFraction: number;
}

/** Whole pixels, centred; even offsets are not required (we decode to RGB, not to chroma-subsampled YUV). */
export function relativeCenterCrop(size: Size, crop: RelativeCrop): Rect {
  const width = Math.max(1, Math.min(size.width, Math.round(size.width * crop.widthFraction)));
  const height = Math.max(1, Math.min(size.height, Math.round(size.height * crop.heightFraction)));
  return { x: Math.floor((size.width - width) / 2), y: Math.floor((size.height - height) / 2), width, height };
}

/** Maps a point in a `size`-pixel picture that shows `region` of the source back to source pixels. */
export function toSourcePoint(point: { x: number; y: number }, size: Size, region: Rect): { x: number; y: number } {
  return { x: region.x + (point.x * region.width) / size.width, y: region.y + (point.y * region.height) / size.height };
}

/** Maps a rect in a `size`-pixel picture that shows `region` of the source back to source pixels (rounded outward). */
export function toSourceRect(rect: Rect, size: Size, region: Rect): Rect {
  const sx = region.width / size.width;
  const sy = region.height / size.height;
  const x0 = Math.floor(region.x + rect.x * sx);
  const y0 = Math.floor(region.y + rect.y * sy);
  const x1 = Math.ceil(region.x + (rect.x + rect.width) * sx);
  const y1 = Math.ceil(region.y + (rect.y + rect.height) * sy);
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}
