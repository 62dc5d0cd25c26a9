import { firstValueFrom, toArray } from 'rxjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { detectOverlay, dilate, edgeStrength, luma, temporalStatistics } from '../../src/overlay/detect.js';
import { decodeVideo } from '../../src/sources/ffmpeg.js';
import type { Frame, Rect } from '../../src/types.js';
import { CLOCK_BOX, hasFont, OVERLAY_CLIP, overlayClip, overlayOnlyClip, STATIC_TEXT_BOX } from '../helpers/overlay-clips.js';

const { width, height } = OVERLAY_CLIP;
const decode = (path: string) => firstValueFrom(decodeVideo(path, { everySeconds: 0.5 }).pipe(toArray()));
const inBox = (i: number, box: Rect) => {
  const x = i % width;
  const y = Math.floor(i / width);
  return x >= box.x && x < box.x + box.width && y >= box.y && y < box.y + box.height;
};

/** Share of the `truth` pixels inside `box` that the mask covers. */
function recall(mask: Uint8Array, truth: Uint8Array, box: Rect): number {
  let hit = 0;
  let total = 0;
  for (let i = 0; i < truth.length; i++) {
    if (!truth[i] || !inBox(i, box)) continue;
    total++;
    hit += mask[i]!;
  }
  return hit / total;
}

describe('temporal statistics and edges', () => {
  it('gives the median and the mean absolute deviation from it per pixel', () => {
    const frames = [Uint8Array.of(10, 0), Uint8Array.of(20, 0), Uint8Array.of(60, 0)];
    const { median, deviation } = temporalStatistics(frames, 2);
    expect([...median]).toEqual([20, 0]);
    expect(deviation[0]).toBeCloseTo((10 + 0 + 40) / 3, 5);
    expect(deviation[1]).toBe(0);
  });

  it('measures a black-to-white step as about 255 grey levels per pixel, and a flat picture as 0', () => {
    const step = new Uint8Array(8 * 4).map((_, i) => (i % 8 >= 4 ? 255 : 0));
    expect(Math.max(...edgeStrength(step, 8, 4))).toBeCloseTo(255, 0);
    expect(Math.max(...edgeStrength(new Uint8Array(32).fill(90), 8, 4))).toBe(0);
  });

  it('dilates a single cell into a square of the given radius', () => {
    const cells = new Uint8Array(7 * 7);
    cells[3 * 7 + 3] = 1;
    const grown = dilate(cells, 7, 7, 2);
    expect(grown.reduce((a, b) => a + b, 0)).toBe(25);
    expect(grown[1 * 7 + 1]).toBe(1);
    expect(grown[0]).toBe(0);
  });
});

describe.skipIf(!hasFont)('overlay detection on clips with burned-in text (ffmpeg drawtext)', () => {
  let moving: Frame[];
  let still: Frame[];
  let truth: Uint8Array;

  beforeAll(async () => {
    [moving, still] = await Promise.all([decode(overlayClip('moving')), decode(overlayClip('still'))]);
    // Where any overlay glyph is lit in any frame (the clock's digits change).
    truth = new Uint8Array(width * height);
    for (const frame of await decode(overlayOnlyClip())) {
      luma(frame.pixels, width, height).forEach((v, i) => {
        if (v > 128) truth[i] = 1;
      });
    }
  }, 60_000);

  it('masks the static text and the running clock over a moving scene, and little else', () => {
    const detection = detectOverlay(
      moving.map((f) => luma(f.pixels, width, height)),
      width,
      height,
    );
    expect(detection.decided).toBe(true);
    expect(recall(detection.mask, truth, STATIC_TEXT_BOX)).toBeGreaterThan(0.95);
    expect(recall(detection.mask, truth, CLOCK_BOX)).toBeGreaterThan(0.9);
    let outside = 0;
    detection.mask.forEach((m, i) => (outside += m && !inBox(i, STATIC_TEXT_BOX) && !inBox(i, CLOCK_BOX) ? 1 : 0));
    expect(outside / detection.mask.length).toBeLessThan(0.005);
  });

  it('makes no mask when the scene stands still (stability cannot tell text from scene)', () => {
    const detection = detectOverlay(
      still.map((f) => luma(f.pixels, width, height)),
      width,
      height,
    );
    expect(detection.decided).toBe(false);
    expect(detection.mask.some((m) => m === 1)).toBe(false);
  });

  it('makes no mask from fewer than 6 frames (a slow textured scene is still in places by chance)', () => {
    const detection = detectOverlay(moving.slice(0, 5).map((f) => luma(f.pixels, width, height)), width, height);
    expect(detection).toMatchObject({ decided: false, frames: 5 });
    expect(detectOverlay(moving.slice(0, 6).map((f) => luma(f.pixels, width, height)), width, height).decided).toBe(true);
  });
});
