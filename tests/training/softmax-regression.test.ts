import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/random.js';
import { applyHead, balancedClassWeights, trainSoftmax } from '../../src/training/softmax-regression.js';

/** Three Gaussian blobs in 4-D, with a large offset and scale so standardisation matters. */
function blobs(perClass: number[], seed: number) {
  const random = seededRandom(seed);
  const centres = [
    [1, 0, 0, 0],
    [0, 1, 0, 0],
    [0, 0, 1, 0],
  ];
  const rows: number[] = [];
  const labels: number[] = [];
  perClass.forEach((n, c) => {
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < 4; k++) rows.push(100 + 50 * (centres[c]![k]! + (random() - 0.5) * 0.6));
      labels.push(c);
    }
  });
  return { x: Float32Array.from(rows), labels };
}

const accuracy = (logits: Float32Array, labels: number[], k: number) =>
  labels.filter((y, i) => {
    const row = Array.from(logits.subarray(i * k, (i + 1) * k));
    return row.indexOf(Math.max(...row)) === y;
  }).length / labels.length;

describe('softmax regression', () => {
  it('separates well-separated classes on raw (unstandardised) features', () => {
    const { x, labels } = blobs([40, 40, 40], 1);
    const { head, lossHistory } = trainSoftmax(x, labels, 3, { epochs: 200, learningRate: 0.05, l2: 1e-3 });
    expect(accuracy(applyHead(head, x), labels, 3)).toBe(1);
    expect(lossHistory[lossHistory.length - 1]!).toBeLessThan(lossHistory[0]! / 5);
  });

  it('gives bit-identical weights on identical input', () => {
    const { x, labels } = blobs([10, 20, 5], 2);
    const a = trainSoftmax(x, labels, 3, { epochs: 50, learningRate: 0.05, l2: 1e-3 });
    const b = trainSoftmax(x, labels, 3, { epochs: 50, learningRate: 0.05, l2: 1e-3 });
    expect(Array.from(a.head.weight)).toEqual(Array.from(b.head.weight));
    expect(Array.from(a.head.bias)).toEqual(Array.from(b.head.bias));
  });

  it('computes balanced class weights as n / (classes present * n_class), 0 for absent classes', () => {
    const w = balancedClassWeights([0, 0, 0, 1], 3);
    expect(w[0]).toBeCloseTo(4 / (2 * 3), 6);
    expect(w[1]).toBeCloseTo(4 / (2 * 1), 6);
    expect(w[2]).toBe(0);
  });

  it('recovers more of a rare class with class weights than without', () => {
    // Overlapping blobs: the rare class loses the overlap unless it is weighted up.
    const random = seededRandom(4);
    const rows: number[] = [];
    const labels: number[] = [];
    for (let i = 0; i < 300; i++) (rows.push(random() * 2 - 0.6), labels.push(0));
    for (let i = 0; i < 30; i++) (rows.push(random() * 2 - 0.4), labels.push(1));
    const x = Float32Array.from(rows);
    const recallOfRare = (weights?: Float32Array) => {
      const { head } = trainSoftmax(x, labels, 2, {
        epochs: 300,
        learningRate: 0.05,
        l2: 0,
        ...(weights ? { classWeights: weights } : {}),
      });
      const logits = applyHead(head, x);
      const rare = labels.map((y, i) => i).filter((i) => labels[i] === 1);
      return rare.filter((i) => logits[i * 2 + 1]! > logits[i * 2]!).length / rare.length;
    };
    expect(recallOfRare(balancedClassWeights(labels, 2))).toBeGreaterThan(recallOfRare() + 0.2);
  });

  it('returns a head that applies to raw features: W . x + b by hand', () => {
    const { x, labels } = blobs([5, 5, 5], 3);
    const { head } = trainSoftmax(x, labels, 3, { epochs: 20, learningRate: 0.05, l2: 0 });
    const logits = applyHead(head, x.subarray(0, 4));
    for (let c = 0; c < 3; c++) {
      let s = head.bias[c]!;
      for (let k = 0; k < 4; k++) s += head.weight[c * 4 + k]! * x[k]!;
      expect(logits[c]).toBeCloseTo(s, 4);
    }
  });

  it('holds back the weight of a barely varying informative channel under the raw penalty, not under the standardised one', () => {
    // Channel 0 separates the classes with a spread of 0.01; channel 1 separates them with a spread of 1.
    const random = seededRandom(5);
    const rows: number[] = [];
    const labels: number[] = [];
    for (let i = 0; i < 200; i++) {
      const y = i % 2;
      rows.push(0.01 * (y + (random() - 0.5) * 0.5), y + (random() - 0.5) * 1.5);
      labels.push(y);
    }
    const x = Float32Array.from(rows);
    const weightOn = (penalty: 'standardised' | 'raw', channel: number) => {
      const { head } = trainSoftmax(x, labels, 2, { epochs: 300, learningRate: 0.05, l2: 0.1, penalty });
      return Math.abs(head.weight[2 + channel]! - head.weight[channel]!);
    };
    // Standardised: the 0.01-spread channel needs a 100x larger raw weight and gets it.
    expect(weightOn('standardised', 0)).toBeGreaterThan(20 * weightOn('standardised', 1));
    // Raw: the penalty on the graph's weights keeps it below the well-spread channel's weight.
    expect(weightOn('raw', 0)).toBeLessThan(weightOn('raw', 1));
  });

  it('floors each channel scale at a fraction of the median sd, between standardised and raw', () => {
    const random = seededRandom(6);
    const rows: number[] = [];
    const labels: number[] = [];
    for (let i = 0; i < 200; i++) {
      const y = i % 2;
      rows.push(0.01 * (y + (random() - 0.5) * 0.5), y + (random() - 0.5) * 1.5, random(), random());
      labels.push(y);
    }
    const x = Float32Array.from(rows);
    const lowChannelWeight = (options: { penalty?: 'standardised' | 'raw'; sdFloorFraction?: number }) => {
      const { head } = trainSoftmax(x, labels, 2, { epochs: 300, learningRate: 0.05, l2: 0.1, ...options });
      return Math.abs(head.weight[4]! - head.weight[0]!);
    };
    const plain = lowChannelWeight({});
    const floored = lowChannelWeight({ sdFloorFraction: 1 });
    expect(floored).toBeLessThan(plain / 5);
    expect(lowChannelWeight({ sdFloorFraction: 0 })).toBeCloseTo(plain, 6);
  });

  it('refuses labels outside the class range', () => {
    expect(() => trainSoftmax(Float32Array.from([1, 2]), [0, 3], 2, { epochs: 1, learningRate: 0.1, l2: 0 })).toThrow(
      /label 3 outside 0..1/,
    );
  });
});
