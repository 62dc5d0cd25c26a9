/**
 * A class-weighted, L2-regularised softmax regression (multinomial logistic regression) on
 * embeddings: the linear head of a frozen backbone. Pure TypeScript on typed arrays, full-batch
 * Adam from zero weights, so the result depends only on the data and the options (deterministic).
 *
 * Features are centred, and scaled by s[k], inside training; the weights are mapped back so that
 * the returned head applies to raw embeddings:
 *   logits = W . x + b, with W[c,k] = V[c,k] / s[k] and b[c] = a[c] - sum_k V[c,k] mean[k] / s[k].
 * The L2 penalty falls on V, so the scale decides which weights it holds back:
 * - 'standardised': s = sd. A channel that barely varies between images gets W = V / sd, very large
 *   for small sd. In a CNN such channels are often padding artefacts at the feature map's border,
 *   and the CAM (W . A per cell) then peaks on the map's outer ring.
 * - 'raw': s = 1, so the penalty is on the weights written into the graph (and used by the CAM).
 * sdFloorFraction (standardised only) keeps s[k] >= fraction x median sd: a middle way.
 */

export interface SoftmaxTrainOptions {
  epochs: number;
  learningRate: number;
  /** L2 penalty on the (standardised) weights: loss += l2 / 2 * |V|^2. */
  l2: number;
  /** Per-class weight multiplying each sample's loss; default 1 for all. */
  classWeights?: Float32Array;
  /** What the L2 penalty is measured on (see the file comment); default 'standardised'. */
  penalty?: 'standardised' | 'raw';
  /** With 'standardised': each feature's scale is at least this fraction of the median sd; default 0. */
  sdFloorFraction?: number;
}

export interface LinearHead {
  /** Row-major [classes, features]. */
  weight: Float32Array;
  bias: Float32Array;
  classes: number;
  features: number;
}

export interface TrainResult {
  head: LinearHead;
  /** Weighted mean cross-entropy (plus the L2 term) after each epoch. */
  lossHistory: number[];
}

/**
 * "Balanced" class weights: n / (classes_present * n_c), so every present class carries the same
 * total weight; classes with no samples get 0.
 */
export function balancedClassWeights(labels: readonly number[], classes: number): Float32Array {
  const counts = new Float64Array(classes);
  for (const y of labels) counts[y]!++;
  const present = counts.filter((c) => c > 0).length;
  const out = new Float32Array(classes);
  for (let c = 0; c < classes; c++) out[c] = counts[c] ? labels.length / (present * counts[c]!) : 0;
  return out;
}

/** `x` is row-major [n, features]. */
export function trainSoftmax(x: Float32Array, labels: readonly number[], classes: number, options: SoftmaxTrainOptions): TrainResult {
  const n = labels.length;
  if (n === 0) throw new Error('trainSoftmax: no samples');
  const d = x.length / n;
  if (!Number.isInteger(d)) throw new Error(`trainSoftmax: ${x.length} values do not divide into ${n} rows`);
  const sampleWeight = new Float64Array(n);
  let weightSum = 0;
  for (let i = 0; i < n; i++) {
    const y = labels[i]!;
    if (y < 0 || y >= classes) throw new Error(`trainSoftmax: label ${y} outside 0..${classes - 1}`);
    weightSum += sampleWeight[i] = options.classWeights ? options.classWeights[y]! : 1;
  }
  if (weightSum <= 0) throw new Error('trainSoftmax: all sample weights are zero');

  // Standardise (float64 statistics; features with no spread are left centred, sd taken as 1).
  const mean = new Float64Array(d);
  const sd = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let k = 0; k < d; k++) mean[k]! += x[i * d + k]! / n;
  for (let i = 0; i < n; i++) for (let k = 0; k < d; k++) sd[k]! += (x[i * d + k]! - mean[k]!) ** 2 / n;
  for (let k = 0; k < d; k++) sd[k] = Math.sqrt(sd[k]!) > 1e-8 ? Math.sqrt(sd[k]!) : 1;
  if ((options.penalty ?? 'standardised') === 'raw') sd.fill(1);
  else if (options.sdFloorFraction) {
    const floor = options.sdFloorFraction * median(sd);
    for (let k = 0; k < d; k++) sd[k] = Math.max(sd[k]!, floor);
  }
  const z = new Float32Array(n * d);
  for (let i = 0; i < n; i++) for (let k = 0; k < d; k++) z[i * d + k] = (x[i * d + k]! - mean[k]!) / sd[k]!;

  const v = new Float64Array(classes * d);
  const a = new Float64Array(classes);
  const gv = new Float64Array(classes * d);
  const ga = new Float64Array(classes);
  const mv = new Float64Array(classes * d),
    sv = new Float64Array(classes * d);
  const ma = new Float64Array(classes),
    sa = new Float64Array(classes);
  const logits = new Float64Array(classes);
  const beta1 = 0.9,
    beta2 = 0.999,
    eps = 1e-8;
  const lossHistory: number[] = [];

  for (let epoch = 1; epoch <= options.epochs; epoch++) {
    gv.fill(0);
    ga.fill(0);
    let loss = 0;
    for (let i = 0; i < n; i++) {
      const row = i * d;
      let max = -Infinity;
      for (let c = 0; c < classes; c++) {
        let s = a[c]!;
        const w = c * d;
        for (let k = 0; k < d; k++) s += v[w + k]! * z[row + k]!;
        logits[c] = s;
        if (s > max) max = s;
      }
      let sum = 0;
      for (let c = 0; c < classes; c++) sum += logits[c] = Math.exp(logits[c]! - max);
      const y = labels[i]!;
      const weight = sampleWeight[i]! / weightSum;
      loss -= weight * Math.log(Math.max(logits[y]! / sum, 1e-300));
      for (let c = 0; c < classes; c++) {
        const g = weight * (logits[c]! / sum - (c === y ? 1 : 0));
        if (g === 0) continue;
        ga[c]! += g;
        const w = c * d;
        for (let k = 0; k < d; k++) gv[w + k]! += g * z[row + k]!;
      }
    }
    let penalty = 0;
    for (let j = 0; j < v.length; j++) {
      penalty += v[j]! ** 2;
      gv[j]! += options.l2 * v[j]!;
    }
    lossHistory.push(loss + (options.l2 / 2) * penalty);
    const c1 = 1 - beta1 ** epoch,
      c2 = 1 - beta2 ** epoch;
    const step = (p: Float64Array, g: Float64Array, m: Float64Array, s: Float64Array) => {
      for (let j = 0; j < p.length; j++) {
        m[j] = beta1 * m[j]! + (1 - beta1) * g[j]!;
        s[j] = beta2 * s[j]! + (1 - beta2) * g[j]! ** 2;
        p[j]! -= (options.learningRate * (m[j]! / c1)) / (Math.sqrt(s[j]! / c2) + eps);
      }
    };
    step(v, gv, mv, sv);
    step(a, ga, ma, sa);
  }

  const weight = new Float32Array(classes * d);
  const bias = new Float32Array(classes);
  for (let c = 0; c < classes; c++) {
    let b = a[c]!;
    for (let k = 0; k < d; k++) {
      weight[c * d + k] = v[c * d + k]! / sd[k]!;
      b -= (v[c * d + k]! * mean[k]!) / sd[k]!;
    }
    bias[c] = b;
  }
  return { head: { weight, bias, classes, features: d }, lossHistory };
}

function median(values: Float64Array): number {
  const sorted = Float64Array.from(values).sort();
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** logits = W . x + b for each row of `x` [n, features]; returns row-major [n, classes]. */
export function applyHead(head: LinearHead, x: Float32Array): Float32Array {
  const n = x.length / head.features;
  const out = new Float32Array(n * head.classes);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < head.classes; c++) {
      let s = head.bias[c]!;
      for (let k = 0; k < head.features; k++) s += head.weight[c * head.features + k]! * x[i * head.features + k]!;
      out[i * head.classes + c] = s;
    }
  }
  return out;
}
