import { describe, expect, it } from 'vitest';
import { trainCellMax } from '../../src/training/cell-max-regression.js';
import { seededRandom } from '../../src/random.js';
import { trainSoftmax } from '../../src/training/softmax-regression.js';

/**
 * Two classes, 2 channels, 4 cells. Channel 0 is the object: concentrated in one cell of class-1
 * images, spread thinly over every cell of class-0 images, with the same mean over the map (so the
 * pooled feature cannot tell the classes apart by it; the most active cell can). Channel 1 is
 * context: spread over every cell, higher on average in class-1 images but overlapping.
 */
function scenes(count: number, seed: number) {
  const random = seededRandom(seed);
  const maps: Float32Array[] = [];
  const labels: number[] = [];
  const objectCell: number[] = [];
  for (let j = 0; j < count; j++) {
    const y = j % 2;
    const map = new Float32Array(2 * 4);
    const cell = Math.floor(random() * 4);
    const strength = 1 + random();
    if (y === 1) map[cell] = strength;
    else for (let i = 0; i < 4; i++) map[i] = strength / 4;
    for (let i = 0; i < 4; i++) map[4 + i] = 0.5 + 0.6 * y + random();
    maps.push(map);
    labels.push(y);
    objectCell.push(cell);
  }
  const pooled = new Float32Array(count * 2);
  maps.forEach((map, j) => {
    for (let k = 0; k < 2; k++) pooled[j * 2 + k] = (map[k * 4]! + map[k * 4 + 1]! + map[k * 4 + 2]! + map[k * 4 + 3]!) / 4;
  });
  return { maps, labels, objectCell, pooled };
}

describe('cell-max regression', () => {
  it('is the plain softmax regression when the cell term has no weight', () => {
    const { maps, labels, pooled } = scenes(40, 1);
    const options = { epochs: 60, learningRate: 0.05, l2: 0.1 };
    const plain = trainSoftmax(pooled, labels, 2, options).head;
    const cell = trainCellMax(pooled, labels, 2, { maps, labels, cells: 4 }, { ...options, cellWeight: 0 }).head;
    for (let j = 0; j < plain.weight.length; j++) expect(cell.weight[j]).toBeCloseTo(plain.weight[j]!, 5);
    for (let c = 0; c < 2; c++) expect(cell.bias[c]).toBeCloseTo(plain.bias[c]!, 5);
  });

  it('puts more of the class weight on the object channel, visible only per cell, than pooled training does', () => {
    const { maps, labels, pooled } = scenes(80, 2);
    const options = { epochs: 300, learningRate: 0.05, l2: 0.1 };
    const share = (w: Float32Array) => Math.abs(w[2]! - w[0]!) / (Math.abs(w[2]! - w[0]!) + Math.abs(w[3]! - w[1]!));
    const plain = trainSoftmax(pooled, labels, 2, options).head;
    const cell = trainCellMax(pooled, labels, 2, { maps, labels, cells: 4 }, { ...options, cellWeight: 1 }).head;
    expect(share(cell.weight)).toBeGreaterThan(share(plain.weight) + 0.05);
  });
});
