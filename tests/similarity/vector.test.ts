import { describe, expect, it } from 'vitest';
import { addUnit } from '../../src/similarity/vector.js';

describe('addUnit', () => {
  it('sums unit-length copies, so a long vector weighs no more than a short one', () => {
    let sum = addUnit(undefined, new Float32Array([10, 0]));
    sum = addUnit(sum, new Float32Array([0, 0.5]));
    expect(Array.from(sum!)).toEqual([1, 1]);
  });

  it('adds into the sum it is given rather than a copy', () => {
    const sum = new Float32Array([1, 0]);
    expect(addUnit(sum, new Float32Array([3, 4]))).toBe(sum);
    expect(sum[0]).toBeCloseTo(1.6, 6);
    expect(sum[1]).toBeCloseTo(0.8, 6);
  });

  it('returns the sum unchanged (or none) when there is no vector', () => {
    const sum = new Float32Array([1, 2]);
    expect(addUnit(sum, undefined)).toBe(sum);
    expect(addUnit(undefined, undefined)).toBeUndefined();
  });
});
