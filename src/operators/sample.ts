import { defer, filter, type MonoTypeOperatorFunction } from 'rxjs';
import type { Frame } from '../types.js';

/**
 * Keeps the first frame of every `everySeconds`-long slot of the timeline ([0, s), [s, 2s), ...) by the
 * frames' own timestamps; 0 keeps every frame. Slots, not "s seconds since the last kept frame", so the
 * sampling does not drift over a long mission. `onDrop` lets a FlowControl count dropped frames as done. ffmpeg's `select` in src/sources/ffmpeg.ts does the same.
 */
export function sampleEvery(everySeconds: number, options: { onDrop?: (frame: Frame) => void } = {}): MonoTypeOperatorFunction<Frame> {
  if (everySeconds <= 0) return (source) => source;
  return (source) =>
    defer(() => {
      // Per subscription: two subscribers never share the last slot.
      let lastSlot = -Infinity;
      return source.pipe(
        filter((frame) => {
          // Same epsilon as ffmpeg's select in src/sources/ffmpeg.ts: 0.6 / 0.2 is 2.9999999999999996.
          const slot = Math.floor(frame.ptsSeconds / everySeconds + 1e-6);
          if (slot <= lastSlot) {
            options.onDrop?.(frame);
            return false;
          }
          lastSlot = slot;
          return true;
        }),
      );
    });
}
