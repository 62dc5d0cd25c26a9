/**
 * k-means with k-means++ seeding (seeded, so runs repeat) on a row-major n x d Float32Array.
 * For embeddings, normalise rows first (normalizeRows) so Euclidean distance ranks like cosine.
 */
import { seededRandom } from '../random.js';
import { squaredDistance } from './vector.js';

export interface KMeansOptions {
  seed?: number;
  maxIterations?: number;
}

export interface KMeansResult {
  k: number;
  assignments: Int32Array;
  /** k x d, row-major. */
  centroids: Float32Array;
  /** Sum of squared distances to the assigned centroids. */
  inertia: number;
  iterations: number;
}

export function kMeans(data: Float32Array, dims: number, k: number, options: KMeansOptions = {}): KMeansResult {
  const n = data.length / dims;
  if (!Number.isInteger(n) || dims < 1) throw new RangeError(`data length ${data.length} is not a multiple of ${dims}`);
  if (!Number.isInteger(k) || k < 1 || k > n) throw new RangeError(`k must be an integer in 1..${n} (the number of points), got ${k}`);
  const random = seededRandom(options.seed ?? 1);
  const centroids = new Float32Array(k * dims);
  // k-means++: the first centre uniformly, each next one with probability proportional to D(x)^2.
  const first = Math.floor(random() * n);
  centroids.set(data.subarray(first * dims, (first + 1) * dims), 0);
  const nearest = new Float64Array(n).fill(Infinity);
  for (let c = 1; c < k; c++) {
    let total = 0;
    for (let i = 0; i < n; i++) {
      nearest[i] = Math.min(nearest[i]!, squaredDistance(data, i * dims, centroids, (c - 1) * dims, dims));
      total += nearest[i]!;
    }
    let pick = n - 1;
    if (total > 0) {
      let r = random() * total;
      for (let i = 0; i < n; i++) {
        r -= nearest[i]!;
        if (r <= 0) {
          pick = i;
          break;
        }
      }
    } else pick = Math.floor(random() * n);
    centroids.set(data.subarray(pick * dims, (pick + 1) * dims), c * dims);
  }

  const assignments = new Int32Array(n).fill(-1);
  const maxIterations = options.maxIterations ?? 100;
  let iterations = 0;
  let inertia = 0;
  for (; iterations < maxIterations;) {
    iterations++;
    let changed = false;
    inertia = 0;
    for (let i = 0; i < n; i++) {
      let best = 0;
      let bestD = Infinity;
      for (let c = 0; c < k; c++) {
        const d = squaredDistance(data, i * dims, centroids, c * dims, dims);
        if (d < bestD) {
          bestD = d;
          best = c;
        }
      }
      inertia += bestD;
      if (assignments[i] !== best) {
        assignments[i] = best;
        changed = true;
      }
    }
    if (!changed) break;
    const sums = new Float64Array(k * dims);
    const counts = new Int32Array(k);
    for (let i = 0; i < n; i++) {
      const c = assignments[i]!;
      counts[c]!++;
      for (let j = 0; j < dims; j++) sums[c * dims + j]! += data[i * dims + j]!;
    }
    for (let c = 0; c < k; c++) {
      // An emptied cluster keeps its old centre rather than collapsing to the origin.
      if (counts[c]) for (let j = 0; j < dims; j++) centroids[c * dims + j] = sums[c * dims + j]! / counts[c]!;
    }
  }
  return { k, assignments, centroids, inertia, iterations };
}
