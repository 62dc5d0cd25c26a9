/** Frames with known dHash patterns for grouping tests (solid frames all hash to 0). */
import type { Frame } from '../../src/types.js';
import { solidFrame } from '../helpers/frames.js';

export type Scene = 'rising' | 'falling' | 'stripes' | 'rows';

/** 'rising': luma grows left to right (every dHash bit set); 'falling': the reverse (none set);
 * 'stripes': alternate columns (half the bits); 'rows': rising in even rows, falling in odd rows. */
export function sceneFrame(scene: Scene, fields: Partial<Frame> = {}, size = 36, brightness = 0): Frame {
  const f = solidFrame(size, size, [0, 0, 0], fields);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const col = Math.floor((x * 9) / size);
      const row = Math.floor((y * 8) / size);
      const v =
        scene === 'rising'
          ? col * 25
          : scene === 'falling'
            ? 200 - col * 25
            : scene === 'stripes'
              ? (col % 2) * 200
              : row % 2
                ? 200 - col * 25
                : col * 25;
      const w = Math.max(0, Math.min(255, v + 20 + brightness));
      f.pixels.set([w, w, w], (y * size + x) * 3);
    }
  }
  return f;
}
