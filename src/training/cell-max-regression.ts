/**
 * A linear head trained for both pooled classification and peaked evidence: the usual class-weighted
 * softmax loss on the pooled embedding (what the graph's GAP + Gemm computes), plus `cellWeight` x the
 * same loss on max-pooled cell logits (multiple-instance style: for each class, the most convincing
 * cell of the feature map). The second term rewards weights whose evidence sits in a few cells of
 * the right images and in no cell of the others, which is what a CAM peak needs. The head stays one
 * linear layer, so the graph, its GAP logits and its CAM (W . A) keep their form.
 *
 * Features are centred and scaled as in softmax-regression.ts ('standardised' or 'raw' penalty); the
 * cell features use the pooled features' mean and scale, so the mean of the cell logits is the
 * pooled logit. Pure maths, typed arrays, deterministic.
 */
import { Adam, addL2, standardiser, toGraphHead, type LinearHead, type TrainResult } from './softmax-regression.js';

export interface CellMaxTrainOptions {
  epochs: number;
  learningRate: number;
  l2: number;
  classWeights?: Float32Array;
  penalty?: 'standardised' | 'raw';
  /** Weight of the max-pooled cell loss against the pooled loss. */
  cellWeight: number;
}

export interface CellMaps {
  /** Per image, channel-major [features, cells] (one NCHW feature map without the batch axis). */
  maps: readonly Float32Array[];
  labels: readonly number[];
  cells: number;
}

export function trainCellMax(
  x: Float32Array,
  labels: readonly number[],
  classes: number,
  cellMaps: CellMaps,
  options: CellMaxTrainOptions,
): TrainResult {
  const n = labels.length;
  const d = x.length / n;
  const m = cellMaps.labels.length;
  const cells = cellMaps.cells;
  const weightOf = (y: number) => (options.classWeights ? options.classWeights[y]! : 1);
  let pooledWeightSum = 0;
  for (const y of labels) pooledWeightSum += weightOf(y);
  let cellWeightSum = 0;
  for (const y of cellMaps.labels) cellWeightSum += weightOf(y);

  const { mean, scale } = standardiser(x, n, d, { penalty: options.penalty });
  const z = new Float32Array(n * d);
  for (let i = 0; i < n; i++) for (let k = 0; k < d; k++) z[i * d + k] = (x[i * d + k]! - mean[k]!) / scale[k]!;
  // Cell features, cell-major per image [cells, features] for contiguous dot products.
  const zc = cellMaps.maps.map((map) => {
    const out = new Float32Array(cells * d);
    for (let k = 0; k < d; k++) for (let i = 0; i < cells; i++) out[i * d + k] = (map[k * cells + i]! - mean[k]!) / scale[k]!;
    return out;
  });

  const v = new Float64Array(classes * d);
  const a = new Float64Array(classes);
  const gv = new Float64Array(classes * d);
  const ga = new Float64Array(classes);
  const adamV = new Adam(classes * d, options.learningRate);
  const adamA = new Adam(classes, options.learningRate);
  const logits = new Float64Array(classes);
  const argmaxCell = new Int32Array(classes);
  const lossHistory: number[] = [];

  /** Softmax cross-entropy on `logits` for true class y; adds weight x gradient via `addGrad`. */
  const crossEntropy = (y: number, weight: number, addGrad: (c: number, g: number) => void): number => {
    let max = -Infinity;
    for (let c = 0; c < classes; c++) max = Math.max(max, logits[c]!);
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += logits[c] = Math.exp(logits[c]! - max);
    for (let c = 0; c < classes; c++) {
      const g = weight * (logits[c]! / sum - (c === y ? 1 : 0));
      if (g !== 0) addGrad(c, g);
    }
    return -weight * Math.log(Math.max(logits[y]! / sum, 1e-300));
  };

  for (let epoch = 1; epoch <= options.epochs; epoch++) {
    gv.fill(0);
    ga.fill(0);
    let loss = 0;
    for (let i = 0; i < n; i++) {
      const row = i * d;
      for (let c = 0; c < classes; c++) {
        let s = a[c]!;
        for (let k = 0; k < d; k++) s += v[c * d + k]! * z[row + k]!;
        logits[c] = s;
      }
      loss += crossEntropy(labels[i]!, weightOf(labels[i]!) / pooledWeightSum, (c, g) => {
        ga[c]! += g;
        for (let k = 0; k < d; k++) gv[c * d + k]! += g * z[row + k]!;
      });
    }
    if (options.cellWeight > 0) {
      for (let j = 0; j < m; j++) {
        const f = zc[j]!;
        for (let c = 0; c < classes; c++) {
          let best = -Infinity;
          for (let i = 0; i < cells; i++) {
            let s = a[c]!;
            for (let k = 0; k < d; k++) s += v[c * d + k]! * f[i * d + k]!;
            if (s > best) ((best = s), (argmaxCell[c] = i));
          }
          logits[c] = best;
        }
        const y = cellMaps.labels[j]!;
        loss += crossEntropy(y, (options.cellWeight * weightOf(y)) / cellWeightSum, (c, g) => {
          ga[c]! += g;
          const row = argmaxCell[c]! * d;
          for (let k = 0; k < d; k++) gv[c * d + k]! += g * f[row + k]!;
        });
      }
    }
    lossHistory.push(loss + addL2(v, gv, options.l2));
    adamV.step(v, gv, epoch);
    adamA.step(a, ga, epoch);
  }

  const head: LinearHead = toGraphHead(v, a, mean, scale, classes);
  return { head, lossHistory };
}
