import { describe, expect, it } from 'vitest';
import { argmaxRows, computeMetrics, confusionMatrix, metricsFromConfusion } from '../../src/training/metrics.js';

const labels = ['a', 'b', 'c'];

describe('classification metrics', () => {
  // truth:     a a a a b b c  (4 a, 2 b, 1 c)
  // predicted: a a b c b a c
  const truth = [0, 0, 0, 0, 1, 1, 2];
  const predicted = [0, 0, 1, 2, 1, 0, 2];

  it('counts a confusion matrix row by true class and column by predicted class', () => {
    expect(confusionMatrix(truth, predicted, 3)).toEqual([
      [2, 1, 1],
      [1, 1, 0],
      [0, 0, 1],
    ]);
  });

  it('computes accuracy, weighted accuracy, balanced accuracy and macro-F1 as worked out by hand', () => {
    const m = computeMetrics(truth, predicted, labels);
    // accuracy = (2 + 1 + 1) / 7
    expect(m.accuracy).toBeCloseTo(4 / 7, 12);
    // recalls 2/4, 1/2, 1/1; weights 1/4, 1/2, 1: (2*1/4 + 1*1/2 + 1*1) / (4*1/4 + 2*1/2 + 1*1) = 2/3
    expect(m.weightedAccuracy).toBeCloseTo(2 / 3, 12);
    expect(m.balancedAccuracy).toBeCloseTo((0.5 + 0.5 + 1) / 3, 12);
    // precision a = 2/3, b = 1/2, c = 1/2; F1 = 2TP / (support + predicted)
    expect(m.perClass.map((c) => c.precision)).toEqual([2 / 3, 1 / 2, 1 / 2]);
    const f1 = [(2 * 2) / (4 + 3), (2 * 1) / (2 + 2), (2 * 1) / (1 + 2)];
    m.perClass.forEach((c, i) => expect(c.f1).toBeCloseTo(f1[i]!, 12));
    expect(m.macroF1).toBeCloseTo((f1[0]! + f1[1]! + f1[2]!) / 3, 12);
  });

  it('leaves classes with no true and no predicted samples out of the class averages', () => {
    const m = metricsFromConfusion(
      [
        [3, 1, 0],
        [0, 2, 0],
        [0, 0, 0],
      ],
      labels,
    );
    expect(m.perClass[2]!.support).toBe(0);
    expect(Number.isNaN(m.perClass[2]!.recall)).toBe(true);
    expect(m.balancedAccuracy).toBeCloseTo((3 / 4 + 1) / 2, 12);
    expect(m.macroF1).toBeCloseTo(((2 * 3) / 7 + (2 * 2) / 5) / 2, 12);
  });

  it('scores a perfect prediction as 1 on every metric', () => {
    const m = computeMetrics([0, 1, 2, 2], [0, 1, 2, 2], labels);
    expect([m.accuracy, m.weightedAccuracy, m.balancedAccuracy, m.macroF1]).toEqual([1, 1, 1, 1]);
  });

  it('refuses truths and predictions of different lengths', () => {
    expect(() => confusionMatrix([0, 1], [0], 2)).toThrow(/2 truths but 1 predictions/);
  });

  it('takes the index of the largest value in each row', () => {
    expect(argmaxRows(Float32Array.from([0.1, 0.7, 0.2, 3, -1, 2]), 3)).toEqual([1, 0]);
  });
});
