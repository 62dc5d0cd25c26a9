/**
 * Mean silhouette (Rousseeuw 1987) of a clustering, Euclidean distance: for each point,
 * (b - a) / max(a, b) with a = mean distance to its own cluster, b = smallest mean distance to
 * another cluster; points alone in their cluster score 0. O(n^2 d): callers sample large sets.
 * Points labelled -1 (noise from DBSCAN) are left out.
 */
import { kMeans, type KMeansOptions, type KMeansResult } from './kmeans.js';
import { squaredDistance } from './vector.js';

export function silhouette(data: Float32Array, dims: number, labels: ArrayLike<number>): number {
  const n = data.length / dims;
  let k = 0;
  for (let i = 0; i < n; i++) k = Math.max(k, labels[i]! + 1);
  if (k < 2) return 0;
  const sizes = new Int32Array(k);
  for (let i = 0; i < n; i++) if (labels[i]! >= 0) sizes[labels[i]!]!++;
  let total = 0;
  let counted = 0;
  const sums = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    const li = labels[i]!;
    if (li < 0) continue;
    counted++;
    if (sizes[li]! < 2) continue;
    sums.fill(0);
    for (let j = 0; j < n; j++)
      if (j !== i && labels[j]! >= 0) sums[labels[j]!]! += Math.sqrt(squaredDistance(data, i * dims, data, j * dims, dims));
    const a = sums[li]! / (sizes[li]! - 1);
    let b = Infinity;
    for (let c = 0; c < k; c++) if (c !== li && sizes[c]! > 0) b = Math.min(b, sums[c]! / sizes[c]!);
    if (!Number.isFinite(b)) continue;
    const m = Math.max(a, b);
    total += m === 0 ? 0 : (b - a) / m;
  }
  return counted ? total / counted : 0;
}

export interface ChooseKResult {
  best: KMeansResult;
  /** Silhouette for each k tried, in order. */
  scores: { k: number; silhouette: number }[];
}

/** k-means for each k in kMin..kMax (capped at n - 1), keeping the k with the highest silhouette. */
export function chooseK(data: Float32Array, dims: number, kMin: number, kMax: number, options: KMeansOptions = {}): ChooseKResult {
  const n = data.length / dims;
  const hi = Math.min(kMax, n - 1);
  if (hi < Math.max(2, kMin)) throw new RangeError(`choosing k needs at least ${Math.max(2, kMin) + 1} points, got ${n}`);
  let best: KMeansResult | undefined;
  let bestScore = -Infinity;
  const scores: ChooseKResult['scores'] = [];
  for (let k = Math.max(2, kMin); k <= hi; k++) {
    const result = kMeans(data, dims, k, options);
    const score = silhouette(data, dims, result.assignments);
    scores.push({ k, silhouette: score });
    if (score > bestScore) {
      bestScore = score;
      best = result;
    }
  }
  return { best: best!, scores };
}
