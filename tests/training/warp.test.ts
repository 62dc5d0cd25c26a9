import { describe, expect, it } from 'vitest';
import { applyHomography, homographyFromPoints, viewHomography, warpImage } from '../../src/training/warp.js';

function gradient(width: number, height: number): Uint8Array {
  const px = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) px.set([x * 10, y * 10, 128], (y * width + x) * 3);
  return px;
}

describe('projective warp', () => {
  it('solves a homography that maps its four points exactly', () => {
    const dst: [number, number][] = [
      [0, 0],
      [10, 0],
      [10, 10],
      [0, 10],
    ];
    const src: [number, number][] = [
      [1, 2],
      [11, 1],
      [9, 12],
      [0, 9],
    ];
    const h = homographyFromPoints(dst, src);
    dst.forEach((p, i) => {
      const [u, v] = applyHomography(h, p[0], p[1]);
      expect(u).toBeCloseTo(src[i]![0], 9);
      expect(v).toBeCloseTo(src[i]![1], 9);
    });
  });

  it('leaves the picture unchanged for the identity view', () => {
    const px = gradient(12, 8);
    const out = warpImage(px, 12, 8, viewHomography({ rotateDegrees: 0, mirror: false, corners: [] }, 12, 8));
    expect(Array.from(out)).toEqual(Array.from(px));
  });

  it('mirrors left and right', () => {
    const px = gradient(12, 8);
    const out = warpImage(px, 12, 8, viewHomography({ rotateDegrees: 0, mirror: true, corners: [] }, 12, 8));
    for (let y = 0; y < 8; y++) for (let x = 0; x < 12; x++) expect(out[(y * 12 + x) * 3]).toBe(px[(y * 12 + (11 - x)) * 3]);
  });

  it('rotates by 180 degrees onto the opposite pixel', () => {
    const px = gradient(12, 8);
    const out = warpImage(px, 12, 8, viewHomography({ rotateDegrees: 180, mirror: false, corners: [] }, 12, 8));
    expect(out[(2 * 12 + 3) * 3]).toBe(px[((7 - 2) * 12 + (11 - 3)) * 3]);
    expect(out[(2 * 12 + 3) * 3 + 1]).toBe(px[((7 - 2) * 12 + (11 - 3)) * 3 + 1]);
  });
});
