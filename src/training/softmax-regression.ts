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
  /** Per-sample weight, multiplied with the class weight (e.g. to balance sources); default 1. */
  sampleWeights?: Float32Array;
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
    weightSum += sampleWeight[i] = (options.classWeights ? options.classWeights[y]! : 1) * (options.sampleWeights ? options.sampleWeights[i]! : 1);
  }
  if (weightSum <= 0) throw new Error('trainSoftmax: all sample weights are zero');

  const { mean, scale: sd } = standardiser(x, n, d, options);
  const z = new Float32Array(n * d);
  for (let i = 0; i < n; i++) for (let k = 0; k < d; k++) z[i * d + k] = (x[i * d + k]! - mean[k]!) / sd[k]!;

  const v = new Float64Array(classes * d);
  const a = new Float64Array(classes);
  const gv = new Float64Array(classes * d);
  const ga = new Float64Array(classes);
  const adamV = new Adam(classes * d, options.learningRate);
  const adamA = new Adam(classes, options.learningRate);
  const logits = new Float64Array(classes);
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
    lossHistory.push(loss + addL2(v, gv, options.l2));
    adamV.step(v, gv, epoch);
    adamA.step(a, ga, epoch);
  }

  return { head: toGraphHead(v, a, mean, sd, classes), lossHistory };
}

/**
 * Per-feature centring and scale for training in standardised space (float64 statistics; a feature with
 * no spread is left centred with scale 1). `raw` keeps scale 1 so the L2 penalty falls on the graph's
 * weights; `sdFloorFraction` keeps every scale at least that fraction of the median.
 */
export function standardiser(
  x: Float32Array,
  n: number,
  d: number,
  options: { penalty?: 'standardised' | 'raw'; sdFloorFraction?: number },
): { mean: Float64Array; scale: Float64Array } {
  const mean = new Float64Array(d);
  const scale = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let k = 0; k < d; k++) mean[k]! += x[i * d + k]! / n;
  for (let i = 0; i < n; i++) for (let k = 0; k < d; k++) scale[k]! += (x[i * d + k]! - mean[k]!) ** 2 / n;
  for (let k = 0; k < d; k++) scale[k] = Math.sqrt(scale[k]!) > 1e-8 ? Math.sqrt(scale[k]!) : 1;
  if ((options.penalty ?? 'standardised') === 'raw') scale.fill(1);
  else if (options.sdFloorFraction) {
    const floor = options.sdFloorFraction * median(scale);
    for (let k = 0; k < d; k++) scale[k] = Math.max(scale[k]!, floor);
  }
  return { mean, scale };
}

/** Adds the L2 gradient `l2 * v` to `gv`; returns the penalty `l2 / 2 * |v|^2` for the loss. */
export function addL2(v: Float64Array, gv: Float64Array, l2: number): number {
  let squares = 0;
  for (let j = 0; j < v.length; j++) {
    squares += v[j]! ** 2;
    gv[j]! += l2 * v[j]!;
  }
  return (l2 / 2) * squares;
}

/** Adam (beta1 0.9, beta2 0.999, eps 1e-8) with its moments for one parameter vector. */
export class Adam {
  private readonly m: Float64Array;
  private readonly s: Float64Array;

  constructor(
    size: number,
    private readonly learningRate: number,
  ) {
    this.m = new Float64Array(size);
    this.s = new Float64Array(size);
  }

  /** Updates `p` in place from gradient `g` at step `t` (1-based, for the bias correction). */
  step(p: Float64Array, g: Float64Array, t: number): void {
    const [beta1, beta2, eps] = [0.9, 0.999, 1e-8];
    const c1 = 1 - beta1 ** t;
    const c2 = 1 - beta2 ** t;
    for (let j = 0; j < p.length; j++) {
      this.m[j] = beta1 * this.m[j]! + (1 - beta1) * g[j]!;
      this.s[j] = beta2 * this.s[j]! + (1 - beta2) * g[j]! ** 2;
      p[j]! -= (this.learningRate * (this.m[j]! / c1)) / (Math.sqrt(this.s[j]! / c2) + eps);
    }
  }
}

/** Standardised-space weights `v` [classes, d] and biases `a` to the graph's: W = v / scale, b = a - W . mean. */
export function toGraphHead(v: Float64Array, a: Float64Array, mean: Float64Array, scale: Float64Array, classes: number): LinearHead {
  const d = mean.length;
  const weight = new Float32Array(classes * d);
  const bias = new Float32Array(classes);
  for (let c = 0; c < classes; c++) {
    let b = a[c]!;
    for (let k = 0; k < d; k++) {
      weight[c * d + k] = v[c * d + k]! / scale[k]!;
      b -= (v[c * d + k]! * mean[k]!) / scale[k]!;
    }
    bias[c] = b;
  }
  return { weight, bias, classes, features: d };
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
