import { describe, expect, it } from 'vitest';
import {
  argmax,
  bilinearResize,
  classMap,
  connectedComponents,
  maskFraction,
  otsuThreshold,
  reluNormalise,
  thresholdMask,
} from '../../src/explain/cam.js';
import type { CamMaps } from '../../src/types.js';

const maps = (classes: number, height: number, width: number, fill: (c: number, i: number) => number): CamMaps => {
  const data = new Float32Array(classes * height * width);
  for (let c = 0; c < classes; c++) for (let i = 0; i < height * width; i++) data[c * height * width + i] = fill(c, i);
  return { classes, height, width, data, method: 'gradcam' };
};

describe('classMap', () => {
  it('copies out the block of the requested class', () => {
    const m = maps(3, 2, 2, (c, i) => c * 10 + i);
    expect(Array.from(classMap(m, 2))).toEqual([20, 21, 22, 23]);
  });

  it('rejects a class index outside the maps', () => {
    expect(() =>
      classMap(
        maps(3, 2, 2, () => 0),
        3,
      ),
    ).toThrow(/class index 3 is outside 0\.\.2/);
  });
});

describe('reluNormalise', () => {
  it('zeroes negative evidence and scales the maximum to 1', () => {
    const out = reluNormalise(Float32Array.from([-2, 0, 1, 4]));
    expect(Array.from(out)).toEqual([0, 0, 0.25, 1]);
  });

  it('turns a map with no positive value into zeros, not NaN', () => {
    expect(Array.from(reluNormalise(Float32Array.from([-1, -3])))).toEqual([0, 0]);
  });
});

describe('bilinearResize', () => {
  it('keeps a constant map constant', () => {
    const out = bilinearResize(new Float32Array(9).fill(0.7), 3, 3, 10, 7);
    for (const v of out) expect(v).toBeCloseTo(0.7, 6);
  });

  it('puts each source value at the centre of its cell (half-pixel convention)', () => {
    // 2 cells stretched to 8: cell centres land at 1.5 and 5.5, i.e. between outputs 1|2 and 5|6.
    const out = bilinearResize(Float32Array.from([0, 1]), 2, 1, 8, 1);
    expect(Array.from(out.subarray(0, 2))).toEqual([0, 0]); // flat outer half cell
    expect(out[2]).toBeCloseTo(0.125, 6);
    expect(out[5]).toBeCloseTo(0.875, 6);
    expect(Array.from(out.subarray(6))).toEqual([1, 1]);
    // Symmetry: mirrored input gives mirrored output.
    const mirrored = bilinearResize(Float32Array.from([1, 0]), 2, 1, 8, 1);
    for (let i = 0; i < 8; i++) expect(mirrored[i]).toBeCloseTo(out[7 - i]!, 6);
  });

  it('is the identity at the same size', () => {
    const src = Float32Array.from({ length: 12 }, (_, i) => Math.sin(i));
    const out = bilinearResize(src, 4, 3, 4, 3);
    for (let i = 0; i < 12; i++) expect(out[i]).toBeCloseTo(src[i]!, 6);
  });

  it('rejects a map whose length does not match its size', () => {
    expect(() => bilinearResize(new Float32Array(5), 2, 2, 4, 4)).toThrow(/5 values, not 2x2/);
  });
});

describe('otsuThreshold', () => {
  it('splits a two-level map between its levels', () => {
    const values = Float32Array.from({ length: 100 }, (_, i) => (i < 70 ? 0.1 + (i % 5) * 0.01 : 0.8 + (i % 3) * 0.02));
    const t = otsuThreshold(values);
    expect(t).toBeGreaterThan(0.3); // the middle of the empty gap, not its lower edge
    expect(t).toBeLessThan(0.7);
    expect(maskFraction(thresholdMask(values, t))).toBeCloseTo(0.3, 6);
  });

  it('returns 1 for a constant map, leaving the mask empty', () => {
    expect(otsuThreshold(new Float32Array(10).fill(0.4))).toBe(1);
  });
});

describe('connectedComponents', () => {
  const parse = (rows: string[]) => ({
    mask: Uint8Array.from(rows.join('').split(''), (ch) => (ch === '#' ? 1 : 0)),
    width: rows[0]!.length,
    height: rows.length,
  });

  it('finds 8-connected blobs, largest first, with half-open bounds', () => {
    const { mask, width, height } = parse([
      '#.....', //
      '.#..##',
      '....##',
      '....##',
    ]);
    const components = connectedComponents(mask, width, height);
    expect(components).toEqual([
      { area: 6, x: 4, y: 1, width: 2, height: 3 },
      { area: 2, x: 0, y: 0, width: 2, height: 2 }, // diagonal neighbours join
    ]);
  });

  it('returns nothing for an empty mask', () => {
    expect(connectedComponents(new Uint8Array(16), 4, 4)).toEqual([]);
  });

  it('handles a mask that fills a large grid without overflowing the stack', () => {
    const components = connectedComponents(new Uint8Array(512 * 512).fill(1), 512, 512);
    expect(components).toEqual([{ area: 512 * 512, x: 0, y: 0, width: 512, height: 512 }]);
  });
});

describe('argmax', () => {
  it('returns the first index of the largest value', () => {
    expect(argmax([1, 5, 2, 5])).toBe(1);
  });
});
