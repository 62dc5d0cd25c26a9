import { describe, expect, it } from 'vitest';
import { occludedCopies, occlusionMaps, patchBounds } from '../../src/explain/occlusion.js';

describe('patchBounds', () => {
  it('tiles the size exactly, with no gap or overlap, when cells do not divide it', () => {
    const bounds = Array.from({ length: 3 }, (_, i) => patchBounds(i, 3, 10));
    expect(bounds).toEqual([
      [0, 3],
      [3, 6],
      [6, 10],
    ]);
  });
});

describe('occludedCopies', () => {
  // A 2-channel 4x4 image: channel 0 counts 0..15, channel 1 is all 8.
  const image = Float32Array.from({ length: 32 }, (_, i) => (i < 16 ? i : 8));

  it('replaces one patch per copy with the image’s per-channel mean and keeps the rest', () => {
    const copies = occludedCopies(image, 2, 4, 4, 2, 0, 4);
    expect(copies).toHaveLength(4 * 32);
    // Copy 3 hides the bottom-right 2x2 patch: channel 0 there becomes 7.5 (the mean of 0..15).
    const third = copies.subarray(3 * 32, 4 * 32);
    expect(Array.from(third.subarray(0, 16))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 7.5, 7.5, 12, 13, 7.5, 7.5]);
    expect(Array.from(third.subarray(16))).toEqual(new Array(16).fill(8));
  });

  it('starts at the requested patch, so batches can be made in pieces', () => {
    const whole = occludedCopies(image, 2, 4, 4, 2, 0, 4);
    const tail = occludedCopies(image, 2, 4, 4, 2, 2, 2);
    expect(Array.from(tail)).toEqual(Array.from(whole.subarray(2 * 32)));
  });
});

describe('occlusionMaps', () => {
  it('scores each patch by how much each class logit drops when it is hidden, class-major', () => {
    const baseline = Float32Array.from([2, 1]);
    // 2x2 patches x 2 classes, patch-major as the model returns them.
    const occluded = Float32Array.from([2, 1, 0.5, 1, 2, 3, 1.5, 0]);
    expect(Array.from(occlusionMaps(baseline, occluded, 2, 2))).toEqual([0, 1.5, 0, 0.5, 0, 0, -2, 1]);
  });

  it('rejects logits that do not match the grid', () => {
    expect(() => occlusionMaps(new Float32Array(2), new Float32Array(5), 2, 2)).toThrow(/expected 8 occluded logits, got 5/);
  });
});
