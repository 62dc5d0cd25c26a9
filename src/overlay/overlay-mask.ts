/**
 * The overlay mask of one recording: which pixels carry burned-in text and graphics (time, depth,
 * heading, logos, laser dots) rather than the scene. Pure: typed arrays in, typed arrays out.
 *
 * A mask is a grid of 0/1 cells over a rectangle of the source picture given in fractions of the
 * source size (0..1, top-left origin). Fractions, not pixels, so a mask drawn at one resolution (a
 * user's PNG of the whole picture) applies to frames of any size, crop or scale.
 */
import type { Frame } from '../types.js';

export interface OverlayMask {
  width: number;
  height: number;
  /** 1 = overlay (masked), 0 = scene; row-major, width x height. */
  cells: Uint8Array;
  /** The part of the source picture the grid covers, in fractions of the source size. */
  area: { x: number; y: number; width: number; height: number };
}

/** The area of the source picture a frame's pixels show, in fractions of the source size. */
export function frameArea(frame: Frame): OverlayMask['area'] {
  const { region, sourceSize } = frame;
  return {
    x: region.x / sourceSize.width,
    y: region.y / sourceSize.height,
    width: region.width / sourceSize.width,
    height: region.height / sourceSize.height,
  };
}

/** Share of the grid's cells that are masked, 0..1. */
export function maskedShare(mask: OverlayMask): number {
  let masked = 0;
  for (const cell of mask.cells) masked += cell;
  return mask.cells.length ? masked / mask.cells.length : 0;
}

/**
 * The mask on a frame's pixel grid (nearest cell at each pixel centre): 1 where the frame's pixel
 * lies on a masked cell, 0 elsewhere, including where the mask does not reach.
 */
export function maskForFrame(mask: OverlayMask, frame: Frame): Uint8Array {
  const area = frameArea(frame);
  const out = new Uint8Array(frame.width * frame.height);
  const columns = new Int32Array(frame.width);
  for (let x = 0; x < frame.width; x++) {
    const u = area.x + ((x + 0.5) / frame.width) * area.width;
    columns[x] = Math.floor(((u - mask.area.x) / mask.area.width) * mask.width);
  }
  for (let y = 0; y < frame.height; y++) {
    const v = area.y + ((y + 0.5) / frame.height) * area.height;
    const row = Math.floor(((v - mask.area.y) / mask.area.height) * mask.height);
    if (row < 0 || row >= mask.height) continue;
    for (let x = 0; x < frame.width; x++) {
      const column = columns[x]!;
      if (column >= 0 && column < mask.width) out[y * frame.width + x] = mask.cells[row * mask.width + column]!;
    }
  }
  return out;
}

/**
 * The mask drawn over a whole picture of `size` (for a PNG a user can look at and pass back):
 * 255 where masked, 0 elsewhere and where the mask does not reach.
 */
export function maskImage(mask: OverlayMask, size: { width: number; height: number }): Uint8Array {
  const whole: Frame = {
    sourceId: '',
    index: 0,
    ptsSeconds: 0,
    width: size.width,
    height: size.height,
    pixels: new Uint8Array(0),
    sourceSize: size,
    region: { x: 0, y: 0, ...size },
  };
  const cells = maskForFrame(mask, whole);
  for (let i = 0; i < cells.length; i++) cells[i] = cells[i] ? 255 : 0;
  return cells;
}
