import { describe, expect, it } from 'vitest';
import { pairedDrop } from '../../src/training/paired-drop.js';

describe('pairedDrop', () => {
  it('gives the observed drop in weighted-accuracy points and counts changed answers', () => {
    // Class 0: 4 images, clean all right, perturbed 2 right (recall 1 -> 0.5); class 1: 2 images, both stay right.
    const truth = [0, 0, 0, 0, 1, 1];
    const clean = [0, 0, 0, 0, 1, 1];
    const perturbed = [0, 0, 1, 1, 1, 1];
    const d = pairedDrop(truth, clean, perturbed);
    expect(d.points).toBeCloseTo(25, 10); // (0.5 + 0) / 2 classes
    expect(d.changed).toBe(2);
    expect(d.changedFraction).toBeCloseTo(2 / 6, 10);
    expect(d.low).toBeLessThanOrEqual(d.points);
    expect(d.high).toBeGreaterThanOrEqual(d.points);
  });

  it('is exactly zero, with a zero-width interval, when no answer changes', () => {
    const truth = [0, 1, 2, 0, 1, 2];
    const answers = [0, 2, 2, 1, 1, 2];
    expect(pairedDrop(truth, answers, answers)).toMatchObject({ points: 0, low: 0, high: 0, changed: 0 });
  });

  it('widens as the evidence thins: one changed image in a class of two is a wide interval', () => {
    const small = pairedDrop([0, 0, 1, 1], [0, 0, 1, 1], [0, 1, 1, 1]);
    expect(small.points).toBeCloseTo(25, 10);
    const large = pairedDrop(
      Array.from({ length: 200 }, (_, i) => (i < 100 ? 0 : 1)),
      Array.from({ length: 200 }, (_, i) => (i < 100 ? 0 : 1)),
      Array.from({ length: 200 }, (_, i) => (i < 50 ? 1 : i < 100 ? 0 : 1)),
    );
    expect(large.points).toBeCloseTo(25, 10);
    expect(small.high - small.low).toBeGreaterThan(2 * (large.high - large.low));
    // With 100 images a class, a 25-point drop is far from 0 and from 3.
    expect(large.low).toBeGreaterThan(15);
  });

  it('is deterministic under its seed', () => {
    const args = [
      [0, 0, 1, 1, 1],
      [0, 0, 1, 1, 0],
      [1, 0, 1, 0, 0],
    ] as const;
    expect(pairedDrop(...args)).toEqual(pairedDrop(...args));
  });

  it('rejects answer lists of the wrong length', () => {
    expect(() => pairedDrop([0, 1], [0], [0, 1])).toThrow(/expected 2 answers per condition, got 1 and 2/);
  });
});
