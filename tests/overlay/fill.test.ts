import { describe, expect, it } from 'vitest';
import { fillMasked } from '../../src/overlay/fill.js';

describe('fillMasked', () => {
  it('fills a hole in a flat picture with the picture colour and leaves the rest unchanged', () => {
    const width = 16;
    const height = 12;
    const pixels = new Uint8Array(width * height * 3);
    for (let i = 0; i < width * height; i++) pixels.set([40, 120, 200], i * 3);
    const mask = new Uint8Array(width * height);
    for (let y = 4; y < 8; y++) for (let x = 5; x < 11; x++) {
      mask[y * width + x] = 1;
      pixels.set([255, 255, 255], (y * width + x) * 3);
    }
    const filled = fillMasked(pixels, width, height, mask);
    for (let i = 0; i < width * height; i++) {
      expect([...filled.subarray(i * 3, i * 3 + 3)]).toEqual(mask[i] ? [40, 120, 200] : [...pixels.subarray(i * 3, i * 3 + 3)]);
    }
  });

  it('blends across a hole between two different sides', () => {
    // Left half 0, right half 200; a vertical band in the middle masked: values climb from left to right.
    const width = 32;
    const height = 8;
    const pixels = new Uint8Array(width * height).map((_, i) => (i % width < 16 ? 0 : 200));
    const mask = new Uint8Array(width * height).map((_, i) => (Math.abs((i % width) - 15.5) < 6 ? 1 : 0));
    const filled = fillMasked(pixels, width, height, mask, 1);
    const row = [...filled.subarray(3 * width, 4 * width)];
    for (let x = 10; x < 21; x++) expect(row[x + 1]!).toBeGreaterThanOrEqual(row[x]!);
    expect(row[10]!).toBeLessThan(row[21]!);
    expect(row[10]!).toBeGreaterThanOrEqual(0);
    expect(row[21]!).toBeLessThanOrEqual(200);
  });

  it('returns a fully masked or an unmasked picture as it was', () => {
    const pixels = Uint8Array.from({ length: 4 * 4 * 3 }, (_, i) => i);
    expect([...fillMasked(pixels, 4, 4, new Uint8Array(16).fill(1))]).toEqual([...pixels]);
    expect([...fillMasked(pixels, 4, 4, new Uint8Array(16))]).toEqual([...pixels]);
  });
});
