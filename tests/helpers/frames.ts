/** Frame builders for tests: solid colours and patches, RGB HWC. */
import type { Frame, Rect } from '../../src/types.js';

export function solidFrame(width: number, height: number, rgb: readonly [number, number, number], fields: Partial<Frame> = {}): Frame {
  const pixels = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) pixels.set(rgb, i * 3);
  return {
    sourceId: 'test',
    index: 0,
    ptsSeconds: 0,
    width,
    height,
    pixels,
    sourceSize: { width, height },
    region: { x: 0, y: 0, width, height },
    ...fields,
  };
}

/** Paints `rect` (clipped to the frame) with `rgb`, returning a new frame. */
export function withPatch(frame: Frame, rect: Rect, rgb: readonly [number, number, number]): Frame {
  const pixels = frame.pixels.slice();
  for (let y = Math.max(0, rect.y); y < Math.min(frame.height, rect.y + rect.height); y++) {
    for (let x = Math.max(0, rect.x); x < Math.min(frame.width, rect.x + rect.width); x++) pixels.set(rgb, (y * frame.width + x) * 3);
  }
  return { ...frame, pixels };
}
